"""Written by a student whose notebook already one-hot encodes y before calling: vectorized, scipy's expit."""

import numpy as np
from scipy.special import expit

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "C", "labels": "one-hot",
            "y_shape": None, "bug": None}


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    cut = hidden_layer_size * (input_layer_size + 1)
    Theta1 = nn_params[:cut].reshape((hidden_layer_size, input_layer_size + 1))
    Theta2 = nn_params[cut:].reshape((num_labels, hidden_layer_size + 1))
    m = X.shape[0]

    a1 = np.column_stack([np.ones(m), X])
    a2 = np.column_stack([np.ones(m), expit(a1 @ Theta1.T)])
    a3 = expit(a2 @ Theta2.T)

    J = np.sum(-y * np.log(a3) - (1 - y) * np.log(1 - a3)) / m
    J += lambda_ / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))

    d3 = a3 - y
    d2 = (d3 @ Theta2)[:, 1:] * a2[:, 1:] * (1 - a2[:, 1:])
    Theta1_grad = d2.T @ a1 / m
    Theta2_grad = d3.T @ a2 / m
    Theta1_grad[:, 1:] += lambda_ / m * Theta1[:, 1:]
    Theta2_grad[:, 1:] += lambda_ / m * Theta2[:, 1:]
    return J, np.r_[Theta1_grad.ravel(), Theta2_grad.ravel()]
