"""Written by a student who learnt NumPy from old tutorials: np.matrix with `*` products, Octave unrolling."""

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "F", "labels": "1..K",
            "y_shape": "(m,)", "bug": None}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = np.matrix(np.reshape(nn_params[:hidden_layer_size * (input_layer_size + 1)],
                                  (hidden_layer_size, input_layer_size + 1), order="F"))
    Theta2 = np.matrix(np.reshape(nn_params[hidden_layer_size * (input_layer_size + 1):],
                                  (num_labels, hidden_layer_size + 1), order="F"))
    m = X.shape[0]
    X = np.matrix(X)

    Y = np.matrix(np.zeros((m, num_labels)))
    for i in range(m):
        Y[i, y[i] - 1] = 1

    a1 = np.hstack((np.ones((m, 1)), X))
    z2 = a1 * Theta1.T
    a2 = np.hstack((np.ones((m, 1)), sigmoid(z2)))
    z3 = a2 * Theta2.T
    h = sigmoid(z3)

    J = np.sum(np.multiply(-Y, np.log(h)) - np.multiply(1 - Y, np.log(1 - h))) / m
    J = J + (lambda_ / (2 * m)) * (np.sum(np.power(Theta1[:, 1:], 2)) + np.sum(np.power(Theta2[:, 1:], 2)))

    delta3 = h - Y
    delta2 = np.multiply(delta3 * Theta2[:, 1:], np.multiply(sigmoid(z2), 1 - sigmoid(z2)))
    Delta1 = delta2.T * a1
    Delta2 = delta3.T * a2

    Theta1_grad = Delta1 / m
    Theta2_grad = Delta2 / m
    Theta1_grad[:, 1:] = Theta1_grad[:, 1:] + (lambda_ / m) * Theta1[:, 1:]
    Theta2_grad[:, 1:] = Theta2_grad[:, 1:] + (lambda_ / m) * Theta2[:, 1:]

    grad = np.concatenate((np.ravel(Theta1_grad, order="F"), np.ravel(Theta2_grad, order="F")))
    return float(J), grad
