"""Written by a student who accumulates Delta with in-place `+=` over a vectorized forward pass; y is (m, 1)."""

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "C", "labels": "1..K",
            "y_shape": "(m, 1)", "bug": None}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoidGradient(z):
    return sigmoid(z) * (1 - sigmoid(z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = nn_params[:hidden_layer_size * (input_layer_size + 1)].reshape(hidden_layer_size, input_layer_size + 1)
    Theta2 = nn_params[hidden_layer_size * (input_layer_size + 1):].reshape(num_labels, hidden_layer_size + 1)
    m = len(X)

    y_matrix = (y == np.arange(1, num_labels + 1)).astype(float)

    A1 = np.c_[np.ones(m), X]
    Z2 = A1 @ Theta1.T
    A2 = np.c_[np.ones(m), sigmoid(Z2)]
    A3 = sigmoid(A2 @ Theta2.T)

    J = 0.0
    for k in range(num_labels):
        J += np.sum(-y_matrix[:, k] * np.log(A3[:, k]) - (1 - y_matrix[:, k]) * np.log(1 - A3[:, k]))
    J /= m
    J += lambda_ / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))

    Delta1 = np.zeros_like(Theta1)
    Delta2 = np.zeros_like(Theta2)
    for i in range(m):
        d3 = A3[i] - y_matrix[i]
        d2 = (Theta2[:, 1:].T @ d3) * sigmoidGradient(Z2[i])
        Delta2 += np.outer(d3, A2[i])
        Delta1 += np.outer(d2, A1[i])

    Theta1_grad = Delta1 / m
    Theta2_grad = Delta2 / m
    Theta1_grad[:, 1:] += (lambda_ / m) * Theta1[:, 1:]
    Theta2_grad[:, 1:] += (lambda_ / m) * Theta2[:, 1:]
    return J, np.concatenate([Theta1_grad.ravel(), Theta2_grad.ravel()])
