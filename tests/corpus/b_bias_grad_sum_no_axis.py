"""A student who fills the bias gradient with np.sum(delta) and forgets axis=0 (bias_grad_sum_no_axis); one-hot Y."""

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "C", "labels": "one-hot",
            "y_shape": None, "bug": "bias_grad_sum_no_axis"}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = nn_params[:hidden_layer_size * (input_layer_size + 1)].reshape(hidden_layer_size, input_layer_size + 1)
    Theta2 = nn_params[hidden_layer_size * (input_layer_size + 1):].reshape(num_labels, hidden_layer_size + 1)
    m = X.shape[0]

    z2 = X @ Theta1[:, 1:].T + Theta1[:, 0]
    a2 = sigmoid(z2)
    h = sigmoid(a2 @ Theta2[:, 1:].T + Theta2[:, 0])

    J = np.sum(-y * np.log(h) - (1 - y) * np.log(1 - h)) / m
    J += lambda_ / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))

    d3 = h - y
    d2 = (d3 @ Theta2[:, 1:]) * a2 * (1 - a2)
    Theta1_grad = np.zeros(Theta1.shape)
    Theta2_grad = np.zeros(Theta2.shape)
    Theta1_grad[:, 0] = np.sum(d2) / m
    Theta1_grad[:, 1:] = d2.T @ X / m + lambda_ / m * Theta1[:, 1:]
    Theta2_grad[:, 0] = np.sum(d3) / m
    Theta2_grad[:, 1:] = d3.T @ a2 / m + lambda_ / m * Theta2[:, 1:]
    return J, np.concatenate([Theta1_grad.ravel(), Theta2_grad.ravel()])
