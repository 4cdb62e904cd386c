"""A student who left lambda_ = 1 in from testing the regularized cost, shadowing the argument (lambda_fixed_at_1)."""

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "C", "labels": "0..K-1",
            "y_shape": "(m,)", "bug": "lambda_fixed_at_1"}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = nn_params[:hidden_layer_size * (input_layer_size + 1)].reshape(hidden_layer_size, input_layer_size + 1)
    Theta2 = nn_params[hidden_layer_size * (input_layer_size + 1):].reshape(num_labels, hidden_layer_size + 1)
    m = X.shape[0]
    lambda_ = 1

    J = 0
    Delta1 = np.zeros_like(Theta1)
    Delta2 = np.zeros_like(Theta2)
    for i in range(m):
        a1 = np.concatenate([[1], X[i]])
        z2 = Theta1 @ a1
        a2 = np.concatenate([[1], sigmoid(z2)])
        a3 = sigmoid(Theta2 @ a2)
        yi = np.zeros(num_labels)
        yi[y[i]] = 1
        J += np.sum(-yi * np.log(a3) - (1 - yi) * np.log(1 - a3))
        d3 = a3 - yi
        d2 = Theta2[:, 1:].T @ d3 * sigmoid(z2) * (1 - sigmoid(z2))
        Delta1 += np.outer(d2, a1)
        Delta2 += np.outer(d3, a2)
    J = J / m + lambda_ / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))

    Theta1_grad = Delta1 / m
    Theta2_grad = Delta2 / m
    Theta1_grad[:, 1:] += lambda_ / m * Theta1[:, 1:]
    Theta2_grad[:, 1:] += lambda_ / m * Theta2[:, 1:]
    return J, np.concatenate([Theta1_grad.ravel(), Theta2_grad.ravel()])
