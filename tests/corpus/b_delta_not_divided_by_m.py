"""A student whose loop accumulates Delta with `+=` and never averages it (delta_not_divided_by_m)."""

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "C", "labels": "one-hot",
            "y_shape": None, "bug": "delta_not_divided_by_m"}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = nn_params[:hidden_layer_size * (input_layer_size + 1)].reshape(hidden_layer_size, input_layer_size + 1)
    Theta2 = nn_params[hidden_layer_size * (input_layer_size + 1):].reshape(num_labels, hidden_layer_size + 1)
    m = X.shape[0]

    J = 0
    Theta1_grad = np.zeros(Theta1.shape)
    Theta2_grad = np.zeros(Theta2.shape)
    for i in range(m):
        a1 = np.insert(X[i], 0, 1)
        z2 = Theta1 @ a1
        a2 = np.insert(sigmoid(z2), 0, 1)
        a3 = sigmoid(Theta2 @ a2)
        J += np.sum(-y[i] * np.log(a3) - (1 - y[i]) * np.log(1 - a3))
        d3 = a3 - y[i]
        d2 = (Theta2[:, 1:].T @ d3) * sigmoid(z2) * (1 - sigmoid(z2))
        Theta1_grad += np.outer(d2, a1)
        Theta2_grad += np.outer(d3, a2)
    J = J / m + lambda_ / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))

    Theta1_grad[:, 1:] += lambda_ / m * Theta1[:, 1:]
    Theta2_grad[:, 1:] += lambda_ / m * Theta2[:, 1:]
    return J, np.concatenate([Theta1_grad.ravel(), Theta2_grad.ravel()])
