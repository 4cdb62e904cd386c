"""Written by a pandas user on the course's 1..10 labels: pd.get_dummies of a Categorical over 1..K, Octave order."""

import numpy as np
import pandas as pd

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "F", "labels": "1..K",
            "y_shape": "(m, 1)", "bug": None}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoidGradient(z):
    s = sigmoid(z)
    return s * (1 - s)


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = nn_params[:hidden_layer_size * (input_layer_size + 1)].reshape(
        (hidden_layer_size, input_layer_size + 1), order="F")
    Theta2 = nn_params[hidden_layer_size * (input_layer_size + 1):].reshape(
        (num_labels, hidden_layer_size + 1), order="F")
    m = X.shape[0]

    labels = pd.Categorical(y.ravel(), categories=range(1, num_labels + 1))
    Y = pd.get_dummies(labels).values.astype(float)

    df_X = pd.DataFrame(X)
    df_X.insert(0, "bias", 1.0)
    a1 = df_X.to_numpy()
    z2 = a1 @ Theta1.T
    a2 = np.c_[np.ones(m), sigmoid(z2)]
    h = sigmoid(a2 @ Theta2.T)

    J = (-Y * np.log(h) - (1 - Y) * np.log(1 - h)).sum() / m
    J += lambda_ / (2 * m) * ((Theta1[:, 1:] ** 2).sum() + (Theta2[:, 1:] ** 2).sum())

    d3 = h - Y
    d2 = (d3 @ Theta2[:, 1:]) * sigmoidGradient(z2)
    Theta1_grad = (d2.T @ a1) / m
    Theta2_grad = (d3.T @ a2) / m
    Theta1_grad[:, 1:] += (lambda_ / m) * Theta1[:, 1:]
    Theta2_grad[:, 1:] += (lambda_ / m) * Theta2[:, 1:]
    return J, np.concatenate([Theta1_grad.ravel(order="F"), Theta2_grad.ravel(order="F")])
