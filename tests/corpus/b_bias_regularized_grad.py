"""A student who adds (lambda/m)*Theta to the whole gradient, bias column too (bias_regularized_grad); expit."""

import numpy as np
from scipy.special import expit

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "F", "labels": "1..K",
            "y_shape": "(m, 1)", "bug": "bias_regularized_grad"}


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = nn_params[:hidden_layer_size * (input_layer_size + 1)].reshape(
        (hidden_layer_size, input_layer_size + 1), order="F")
    Theta2 = nn_params[hidden_layer_size * (input_layer_size + 1):].reshape(
        (num_labels, hidden_layer_size + 1), order="F")
    m = X.shape[0]
    Y = np.eye(num_labels)[y.ravel() - 1]

    a1 = np.hstack((np.ones((m, 1)), X))
    z2 = a1 @ Theta1.T
    a2 = np.hstack((np.ones((m, 1)), expit(z2)))
    a3 = expit(a2 @ Theta2.T)

    J = np.sum(-Y * np.log(a3) - (1 - Y) * np.log(1 - a3)) / m
    J += lambda_ / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))

    d3 = a3 - Y
    d2 = (d3 @ Theta2[:, 1:]) * expit(z2) * (1 - expit(z2))
    Theta1_grad = d2.T @ a1 / m + lambda_ / m * Theta1
    Theta2_grad = d3.T @ a2 / m + lambda_ / m * Theta2
    return J, np.concatenate((Theta1_grad.ravel(order="F"), Theta2_grad.ravel(order="F")))
