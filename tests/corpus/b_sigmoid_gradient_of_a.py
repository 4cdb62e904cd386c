"""An np.matrix user who passes the activation a2 to sigmoidGradient instead of z2 (sigmoid_gradient_of_a)."""

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "F", "labels": "1..K",
            "y_shape": "(m, 1)", "bug": "sigmoid_gradient_of_a"}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoidGradient(z):
    return np.multiply(sigmoid(z), 1 - sigmoid(z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = np.matrix(nn_params[:hidden_layer_size * (input_layer_size + 1)].reshape(
        (hidden_layer_size, input_layer_size + 1), order="F"))
    Theta2 = np.matrix(nn_params[hidden_layer_size * (input_layer_size + 1):].reshape(
        (num_labels, hidden_layer_size + 1), order="F"))
    m = X.shape[0]
    Y = np.matrix((y == np.arange(1, num_labels + 1)).astype(float))

    a1 = np.matrix(np.hstack((np.ones((m, 1)), X)))
    z2 = a1 * Theta1.T
    a2 = np.hstack((np.ones((m, 1)), sigmoid(z2)))
    h = sigmoid(a2 * Theta2.T)

    J = np.sum(np.multiply(-Y, np.log(h)) - np.multiply(1 - Y, np.log(1 - h))) / m
    J += lambda_ / (2 * m) * (np.sum(np.power(Theta1[:, 1:], 2)) + np.sum(np.power(Theta2[:, 1:], 2)))

    d3 = h - Y
    d2 = np.multiply(d3 * Theta2[:, 1:], sigmoidGradient(a2[:, 1:]))
    Theta1_grad = d2.T * a1 / m
    Theta2_grad = d3.T * a2 / m
    Theta1_grad[:, 1:] += lambda_ / m * Theta1[:, 1:]
    Theta2_grad[:, 1:] += lambda_ / m * Theta2[:, 1:]
    grad = np.concatenate((np.asarray(Theta1_grad).ravel(order="F"), np.asarray(Theta2_grad).ravel(order="F")))
    return float(J), grad
