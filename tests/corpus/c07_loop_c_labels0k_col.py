"""Written by a student following the "for t = 1:m" hint with 0-based labels and NumPy unrolling; `+=` accumulation."""

import math

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "C", "labels": "0..K-1",
            "y_shape": "(m, 1)", "bug": None}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    n1 = hidden_layer_size * (input_layer_size + 1)
    Theta1 = nn_params[:n1].reshape(hidden_layer_size, input_layer_size + 1)
    Theta2 = nn_params[n1:].reshape(num_labels, hidden_layer_size + 1)
    m = X.shape[0]

    J = 0.0
    Delta1 = np.zeros(Theta1.shape)
    Delta2 = np.zeros(Theta2.shape)
    for i in range(m):
        a1 = np.append(1, X[i])
        z2 = np.dot(Theta1, a1)
        a2 = np.append(1, sigmoid(z2))
        a3 = sigmoid(np.dot(Theta2, a2))
        yv = np.zeros(num_labels)
        yv[y[i][0]] = 1
        for k in range(num_labels):
            J += -yv[k] * math.log(a3[k]) - (1 - yv[k]) * math.log(1 - a3[k])
        delta3 = a3 - yv
        delta2 = np.dot(Theta2.T, delta3)[1:] * sigmoid(z2) * (1 - sigmoid(z2))
        Delta1 += np.outer(delta2, a1)
        Delta2 += np.outer(delta3, a2)
    J /= m
    J += (lambda_ / (2 * m)) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))

    Theta1_grad = Delta1 / m
    Theta2_grad = Delta2 / m
    Theta1_grad[:, 1:] += (lambda_ / m) * Theta1[:, 1:]
    Theta2_grad[:, 1:] += (lambda_ / m) * Theta2[:, 1:]
    return J, np.hstack((Theta1_grad.ravel(), Theta2_grad.ravel()))
