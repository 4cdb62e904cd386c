"""Written by a data-science student: one-hot with pd.get_dummies over a Categorical of every class, 0-based y."""

import numpy as np
import pandas as pd

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "C", "labels": "0..K-1",
            "y_shape": "(m,)", "bug": None}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    t1_size = hidden_layer_size * (input_layer_size + 1)
    Theta1 = nn_params[:t1_size].reshape(hidden_layer_size, input_layer_size + 1)
    Theta2 = nn_params[t1_size:].reshape(num_labels, hidden_layer_size + 1)
    m = X.shape[0]

    Y = pd.get_dummies(pd.Categorical(y, categories=range(num_labels))).to_numpy(dtype=float)

    a1 = np.insert(X, 0, 1, axis=1)
    z2 = a1.dot(Theta1.T)
    a2 = np.insert(sigmoid(z2), 0, 1, axis=1)
    h = sigmoid(a2.dot(Theta2.T))

    cost = -Y * np.log(h) - (1 - Y) * np.log(1 - h)
    reg = (lambda_ / (2 * m)) * ((Theta1[:, 1:] ** 2).sum() + (Theta2[:, 1:] ** 2).sum())
    J = cost.sum() / m + reg

    d3 = h - Y
    d2 = d3.dot(Theta2[:, 1:]) * (sigmoid(z2) * (1 - sigmoid(z2)))
    Theta1_grad = d2.T.dot(a1) / m
    Theta2_grad = d3.T.dot(a2) / m
    Theta1_grad[:, 1:] = Theta1_grad[:, 1:] + (lambda_ / m) * Theta1[:, 1:]
    Theta2_grad[:, 1:] = Theta2_grad[:, 1:] + (lambda_ / m) * Theta2[:, 1:]
    grad = np.concatenate([Theta1_grad.flatten(), Theta2_grad.flatten()])
    return J, grad
