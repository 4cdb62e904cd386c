"""Written by a student looping over examples with a given one-hot Y matrix, unrolling as Octave's Theta(:)."""

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "F", "labels": "one-hot",
            "y_shape": None, "bug": None}


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = nn_params[:hidden_layer_size * (input_layer_size + 1)].reshape(
        hidden_layer_size, input_layer_size + 1, order="F")
    Theta2 = nn_params[hidden_layer_size * (input_layer_size + 1):].reshape(
        num_labels, hidden_layer_size + 1, order="F")
    m = X.shape[0]

    J = 0
    Theta1_grad = np.zeros_like(Theta1)
    Theta2_grad = np.zeros_like(Theta2)
    for i in range(m):
        x = X[i, :].reshape(-1, 1)
        yi = y[i, :].reshape(-1, 1)
        a1 = np.vstack(([[1]], x))
        z2 = Theta1 @ a1
        a2 = np.vstack(([[1]], sigmoid(z2)))
        a3 = sigmoid(Theta2 @ a2)
        J = J - np.sum(yi * np.log(a3) + (1 - yi) * np.log(1 - a3))
        d3 = a3 - yi
        d2 = (Theta2.T @ d3)[1:] * sigmoid(z2) * (1 - sigmoid(z2))
        Theta1_grad = Theta1_grad + d2 @ a1.T
        Theta2_grad = Theta2_grad + d3 @ a2.T
    J = J / m + lambda_ / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))

    reg1 = Theta1.copy()
    reg1[:, 0] = 0
    reg2 = Theta2.copy()
    reg2[:, 0] = 0
    Theta1_grad = Theta1_grad / m + lambda_ / m * reg1
    Theta2_grad = Theta2_grad / m + lambda_ / m * reg2
    grad = np.concatenate([Theta1_grad.reshape(-1, order="F"), Theta2_grad.reshape(-1, order="F")])
    return J, grad
