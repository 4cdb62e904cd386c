"""A student who copy-pasted the penalty line, Theta2 in both terms (beyond the catalog); one-hot, Octave order."""

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "F", "labels": "one-hot",
            "y_shape": None, "bug": ("beyond: cost penalty sums Theta2[:, 1:]**2 twice and never "
                                     "Theta1 (gradient unchanged)")}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = nn_params[:hidden_layer_size * (input_layer_size + 1)].reshape(
        (hidden_layer_size, input_layer_size + 1), order="F")
    Theta2 = nn_params[hidden_layer_size * (input_layer_size + 1):].reshape(
        (num_labels, hidden_layer_size + 1), order="F")
    m = X.shape[0]

    a1 = np.hstack((np.ones((m, 1)), X))
    z2 = a1 @ Theta1.T
    a2 = np.hstack((np.ones((m, 1)), sigmoid(z2)))
    h = sigmoid(a2 @ Theta2.T)

    J = np.sum(-y * np.log(h) - (1 - y) * np.log(1 - h)) / m
    reg1 = np.sum(Theta2[:, 1:] ** 2)
    reg2 = np.sum(Theta2[:, 1:] ** 2)
    J += lambda_ / (2 * m) * (reg1 + reg2)

    d3 = h - y
    d2 = (d3 @ Theta2[:, 1:]) * sigmoid(z2) * (1 - sigmoid(z2))
    Theta1_grad = d2.T @ a1 / m
    Theta2_grad = d3.T @ a2 / m
    Theta1_grad[:, 1:] += lambda_ / m * Theta1[:, 1:]
    Theta2_grad[:, 1:] += lambda_ / m * Theta2[:, 1:]
    return J, np.concatenate((Theta1_grad.ravel(order="F"), Theta2_grad.ravel(order="F")))
