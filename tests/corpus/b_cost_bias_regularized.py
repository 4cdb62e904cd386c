"""A student looping over examples whose cost sums Theta**2 over every column, bias too (cost_bias_regularized)."""

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "F", "labels": "one-hot",
            "y_shape": None, "bug": "cost_bias_regularized"}


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = nn_params[:hidden_layer_size * (input_layer_size + 1)].reshape(
        (hidden_layer_size, input_layer_size + 1), order="F")
    Theta2 = nn_params[hidden_layer_size * (input_layer_size + 1):].reshape(
        (num_labels, hidden_layer_size + 1), order="F")
    m = X.shape[0]
    J = 0
    Delta1 = np.zeros(Theta1.shape)
    Delta2 = np.zeros(Theta2.shape)
    for t in range(m):
        a1 = np.concatenate(([1.0], X[t]))
        z2 = Theta1 @ a1
        a2 = np.concatenate(([1.0], sigmoid(z2)))
        a3 = sigmoid(Theta2 @ a2)
        J += np.sum(-y[t] * np.log(a3) - (1 - y[t]) * np.log(1 - a3))
        d3 = a3 - y[t]
        d2 = (Theta2.T @ d3)[1:] * sigmoid(z2) * (1 - sigmoid(z2))
        Delta1 += np.outer(d2, a1)
        Delta2 += np.outer(d3, a2)
    J = J / m + lambda_ / (2 * m) * (np.sum(Theta1 ** 2) + np.sum(Theta2 ** 2))

    Theta1_grad = Delta1 / m
    Theta2_grad = Delta2 / m
    Theta1_grad[:, 1:] += lambda_ / m * Theta1[:, 1:]
    Theta2_grad[:, 1:] += lambda_ / m * Theta2[:, 1:]
    return J, np.concatenate((Theta1_grad.ravel(order="F"), Theta2_grad.ravel(order="F")))
