"""Written by an Octave user porting ex4: examples as columns (a1 is (n+1) x m), Octave unrolling, 0-based y."""

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "F", "labels": "0..K-1",
            "y_shape": "(m, 1)", "bug": None}


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoidGradient(z):
    return sigmoid(z) * (1 - sigmoid(z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = nn_params[0:hidden_layer_size * (input_layer_size + 1)].reshape(
        (hidden_layer_size, input_layer_size + 1), order="F")
    Theta2 = nn_params[hidden_layer_size * (input_layer_size + 1):].reshape(
        (num_labels, hidden_layer_size + 1), order="F")
    m = np.size(X, 0)

    # Y(:, i) is the label of example i as a column
    Y = (np.arange(num_labels).reshape(-1, 1) == y.T).astype(float)

    a1 = np.vstack((np.ones((1, m)), X.T))
    z2 = Theta1 @ a1
    a2 = np.vstack((np.ones((1, m)), sigmoid(z2)))
    z3 = Theta2 @ a2
    a3 = sigmoid(z3)

    J = (1 / m) * np.sum(np.sum(-Y * np.log(a3) - (1 - Y) * np.log(1 - a3)))
    J = J + (lambda_ / (2 * m)) * (np.sum(np.sum(Theta1[:, 1:] ** 2)) + np.sum(np.sum(Theta2[:, 1:] ** 2)))

    d3 = a3 - Y
    d2 = (Theta2[:, 1:].T @ d3) * sigmoidGradient(z2)
    Theta1_grad = (1 / m) * (d2 @ a1.T)
    Theta2_grad = (1 / m) * (d3 @ a2.T)
    Theta1_grad[:, 1:] = Theta1_grad[:, 1:] + (lambda_ / m) * Theta1[:, 1:]
    Theta2_grad[:, 1:] = Theta2_grad[:, 1:] + (lambda_ / m) * Theta2[:, 1:]

    grad = np.concatenate((Theta1_grad.flatten(order="F"), Theta2_grad.flatten(order="F")))
    return J, grad
