"""Written by a student translating ex4.m line by line: per-example for-loop, Octave (column-major) unrolling."""

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "F", "labels": "1..K",
            "y_shape": "(m, 1)", "bug": None}


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoidGradient(z):
    g = sigmoid(z)
    return g * (1 - g)


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = np.reshape(nn_params[:hidden_layer_size * (input_layer_size + 1)],
                        (hidden_layer_size, input_layer_size + 1), order="F")
    Theta2 = np.reshape(nn_params[hidden_layer_size * (input_layer_size + 1):],
                        (num_labels, hidden_layer_size + 1), order="F")
    m = X.shape[0]
    J = 0
    Theta1_grad = np.zeros(Theta1.shape)
    Theta2_grad = np.zeros(Theta2.shape)

    for t in range(m):
        a1 = np.concatenate(([1], X[t, :]))
        z2 = Theta1 @ a1
        a2 = np.concatenate(([1], sigmoid(z2)))
        z3 = Theta2 @ a2
        a3 = sigmoid(z3)
        yk = np.zeros(num_labels)
        yk[int(y[t, 0]) - 1] = 1
        J = J + np.sum(-yk * np.log(a3) - (1 - yk) * np.log(1 - a3))
        delta3 = a3 - yk
        delta2 = (Theta2.T @ delta3)[1:] * sigmoidGradient(z2)
        Theta2_grad = Theta2_grad + np.outer(delta3, a2)
        Theta1_grad = Theta1_grad + np.outer(delta2, a1)

    J = J / m
    J = J + lambda_ / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))
    Theta1_grad = Theta1_grad / m
    Theta2_grad = Theta2_grad / m
    Theta1_grad[:, 1:] = Theta1_grad[:, 1:] + lambda_ / m * Theta1[:, 1:]
    Theta2_grad[:, 1:] = Theta2_grad[:, 1:] + lambda_ / m * Theta2[:, 1:]

    grad = np.concatenate((Theta1_grad.ravel(order="F"), Theta2_grad.ravel(order="F")))
    return J, grad
