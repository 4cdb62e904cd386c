"""A student whose loop multiplies delta3 by sigmoidGradient(z3) (output_delta_times_gprime)."""

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "C", "labels": "1..K",
            "y_shape": "(m, 1)", "bug": "output_delta_times_gprime"}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoidGradient(z):
    return sigmoid(z) * (1 - sigmoid(z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = nn_params[:hidden_layer_size * (input_layer_size + 1)].reshape(hidden_layer_size, input_layer_size + 1)
    Theta2 = nn_params[hidden_layer_size * (input_layer_size + 1):].reshape(num_labels, hidden_layer_size + 1)
    m = X.shape[0]
    J = 0
    Delta1 = np.zeros(Theta1.shape)
    Delta2 = np.zeros(Theta2.shape)
    for i in range(m):
        a1 = np.hstack([1, X[i]])
        z2 = Theta1 @ a1
        a2 = np.hstack([1, sigmoid(z2)])
        z3 = Theta2 @ a2
        a3 = sigmoid(z3)
        yi = np.zeros(num_labels)
        yi[y[i, 0] - 1] = 1
        J += np.sum(-yi * np.log(a3) - (1 - yi) * np.log(1 - a3))
        d3 = (a3 - yi) * sigmoidGradient(z3)
        d2 = (Theta2[:, 1:].T @ d3) * sigmoidGradient(z2)
        Delta1 += np.outer(d2, a1)
        Delta2 += np.outer(d3, a2)
    J = J / m + lambda_ / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))
    Theta1_grad = Delta1 / m
    Theta2_grad = Delta2 / m
    Theta1_grad[:, 1:] += lambda_ / m * Theta1[:, 1:]
    Theta2_grad[:, 1:] += lambda_ / m * Theta2[:, 1:]
    return J, np.concatenate([Theta1_grad.ravel(), Theta2_grad.ravel()])
