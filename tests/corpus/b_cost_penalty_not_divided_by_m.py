"""An np.matrix user whose cost adds (lambda/2) * sum(Theta^2), the /m dropped (cost_penalty_not_divided_by_m)."""

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "F", "labels": "0..K-1",
            "y_shape": "(m, 1)", "bug": "cost_penalty_not_divided_by_m"}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = np.matrix(np.reshape(nn_params[:hidden_layer_size * (input_layer_size + 1)],
                                  (hidden_layer_size, input_layer_size + 1), order="F"))
    Theta2 = np.matrix(np.reshape(nn_params[hidden_layer_size * (input_layer_size + 1):],
                                  (num_labels, hidden_layer_size + 1), order="F"))
    m = X.shape[0]
    Y = np.matrix(np.eye(num_labels)[y.ravel()])

    a1 = np.matrix(np.c_[np.ones(m), X])
    z2 = a1 * Theta1.T
    a2 = np.c_[np.ones(m), sigmoid(z2)]
    h = sigmoid(a2 * Theta2.T)

    J = np.sum(np.multiply(-Y, np.log(h)) - np.multiply(1 - Y, np.log(1 - h))) / m
    J = J + lambda_ / 2 * (np.sum(np.square(Theta1[:, 1:])) + np.sum(np.square(Theta2[:, 1:])))

    d3 = h - Y
    d2 = np.multiply(d3 * Theta2[:, 1:], np.multiply(sigmoid(z2), 1 - sigmoid(z2)))
    Theta1_grad = d2.T * a1 / m
    Theta2_grad = d3.T * a2 / m
    Theta1_grad[:, 1:] = Theta1_grad[:, 1:] + lambda_ / m * Theta1[:, 1:]
    Theta2_grad[:, 1:] = Theta2_grad[:, 1:] + lambda_ / m * Theta2[:, 1:]
    return J, np.concatenate((np.ravel(Theta1_grad, order="F"), np.ravel(Theta2_grad, order="F")))
