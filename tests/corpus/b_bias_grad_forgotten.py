"""A student who fills only Theta_grad[:, 1:] and leaves the bias column at zero (bias_grad_forgotten); Octave order."""

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "F", "labels": "1..K",
            "y_shape": "(m, 1)", "bug": "bias_grad_forgotten"}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = nn_params[:hidden_layer_size * (input_layer_size + 1)].reshape(
        (hidden_layer_size, input_layer_size + 1), order="F")
    Theta2 = nn_params[hidden_layer_size * (input_layer_size + 1):].reshape(
        (num_labels, hidden_layer_size + 1), order="F")
    m = X.shape[0]
    Y = (y == np.arange(1, num_labels + 1)).astype(float)

    z2 = X @ Theta1[:, 1:].T + Theta1[:, 0]
    a2 = sigmoid(z2)
    h = sigmoid(a2 @ Theta2[:, 1:].T + Theta2[:, 0])

    J = np.sum(-Y * np.log(h) - (1 - Y) * np.log(1 - h)) / m
    J += lambda_ / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))

    d3 = h - Y
    d2 = (d3 @ Theta2[:, 1:]) * a2 * (1 - a2)
    Theta1_grad = np.zeros_like(Theta1)
    Theta2_grad = np.zeros_like(Theta2)
    Theta1_grad[:, 1:] = d2.T @ X / m + lambda_ / m * Theta1[:, 1:]
    Theta2_grad[:, 1:] = d3.T @ a2 / m + lambda_ / m * Theta2[:, 1:]
    return J, np.concatenate((Theta1_grad.ravel(order="F"), Theta2_grad.ravel(order="F")))
