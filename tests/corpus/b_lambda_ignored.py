"""An Octave user (examples as columns) who submitted part 1 and never added regularization (lambda_ignored)."""

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "F", "labels": "1..K",
            "y_shape": "(m, 1)", "bug": "lambda_ignored"}


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoidGradient(z):
    return sigmoid(z) * (1 - sigmoid(z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = nn_params[:hidden_layer_size * (input_layer_size + 1)].reshape(
        (hidden_layer_size, input_layer_size + 1), order="F")
    Theta2 = nn_params[hidden_layer_size * (input_layer_size + 1):].reshape(
        (num_labels, hidden_layer_size + 1), order="F")
    m = X.shape[0]
    I = np.eye(num_labels)
    Y = I[:, y[:, 0] - 1]

    a1 = np.vstack((np.ones((1, m)), X.T))
    z2 = Theta1 @ a1
    a2 = np.vstack((np.ones((1, m)), sigmoid(z2)))
    a3 = sigmoid(Theta2 @ a2)

    J = (1 / m) * np.sum(-Y * np.log(a3) - (1 - Y) * np.log(1 - a3))

    d3 = a3 - Y
    d2 = (Theta2.T @ d3)[1:, :] * sigmoidGradient(z2)
    Theta1_grad = (1 / m) * d2 @ a1.T
    Theta2_grad = (1 / m) * d3 @ a2.T
    return J, np.concatenate((Theta1_grad.flatten(order="F"), Theta2_grad.flatten(order="F")))
