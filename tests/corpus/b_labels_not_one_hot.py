"""A student who uses the (m, 1) label column y directly in the cost and in a3 - y (labels_not_one_hot)."""

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "C", "labels": "1..K",
            "y_shape": "(m, 1)", "bug": "labels_not_one_hot"}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoidGradient(z):
    return sigmoid(z) * (1 - sigmoid(z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = nn_params[:hidden_layer_size * (input_layer_size + 1)].reshape(hidden_layer_size, input_layer_size + 1)
    Theta2 = nn_params[hidden_layer_size * (input_layer_size + 1):].reshape(num_labels, hidden_layer_size + 1)
    m = X.shape[0]

    a1 = np.hstack((np.ones((m, 1)), X))
    z2 = a1 @ Theta1.T
    a2 = np.hstack((np.ones((m, 1)), sigmoid(z2)))
    a3 = sigmoid(a2 @ Theta2.T)

    J = (1 / m) * np.sum(-y * np.log(a3) - (1 - y) * np.log(1 - a3))
    J += (lambda_ / (2 * m)) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))

    d3 = a3 - y
    d2 = (d3 @ Theta2[:, 1:]) * sigmoidGradient(z2)
    Theta1_grad = (1 / m) * (d2.T @ a1)
    Theta2_grad = (1 / m) * (d3.T @ a2)
    Theta1_grad[:, 1:] += (lambda_ / m) * Theta1[:, 1:]
    Theta2_grad[:, 1:] += (lambda_ / m) * Theta2[:, 1:]
    return J, np.concatenate((Theta1_grad.ravel(), Theta2_grad.ravel()))
