"""An np.matrix user who regularizes every column, bias too, in cost and gradient (bias_regularized_everywhere)."""

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "C", "labels": "1..K",
            "y_shape": "(m,)", "bug": "bias_regularized_everywhere"}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = np.matrix(np.reshape(nn_params[:hidden_layer_size * (input_layer_size + 1)],
                                  (hidden_layer_size, input_layer_size + 1)))
    Theta2 = np.matrix(np.reshape(nn_params[hidden_layer_size * (input_layer_size + 1):],
                                  (num_labels, hidden_layer_size + 1)))
    m = X.shape[0]
    X = np.matrix(X)
    Y = np.matrix(np.zeros((m, num_labels)))
    for i in range(m):
        Y[i, y[i] - 1] = 1

    a1 = np.hstack((np.ones((m, 1)), X))
    z2 = a1 * Theta1.T
    a2 = np.hstack((np.ones((m, 1)), sigmoid(z2)))
    h = sigmoid(a2 * Theta2.T)

    J = np.sum(np.multiply(-Y, np.log(h)) - np.multiply(1 - Y, np.log(1 - h))) / m
    J = J + (lambda_ / (2 * m)) * (np.sum(np.power(Theta1, 2)) + np.sum(np.power(Theta2, 2)))

    d3 = h - Y
    d2 = np.multiply(d3 * Theta2[:, 1:], np.multiply(sigmoid(z2), 1 - sigmoid(z2)))
    Theta1_grad = (d2.T * a1) / m + (lambda_ / m) * Theta1
    Theta2_grad = (d3.T * a2) / m + (lambda_ / m) * Theta2
    return float(J), np.concatenate((np.ravel(Theta1_grad), np.ravel(Theta2_grad)))
