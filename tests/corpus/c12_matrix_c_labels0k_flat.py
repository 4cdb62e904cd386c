"""Written by a student using np.matrix throughout (`*` is the matrix product) with 0-based labels, NumPy unrolling."""

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "C", "labels": "0..K-1",
            "y_shape": "(m,)", "bug": None}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = np.matrix(nn_params[:hidden_layer_size * (input_layer_size + 1)].reshape(
        hidden_layer_size, input_layer_size + 1))
    Theta2 = np.matrix(nn_params[hidden_layer_size * (input_layer_size + 1):].reshape(
        num_labels, hidden_layer_size + 1))
    m = X.shape[0]
    Y = np.matrix(np.eye(num_labels)[y])

    a1 = np.matrix(np.insert(X, 0, values=np.ones(m), axis=1))
    z2 = a1 * Theta1.T
    a2 = np.insert(sigmoid(z2), 0, values=np.ones(m), axis=1)
    h = sigmoid(a2 * Theta2.T)

    J = 0
    for i in range(m):
        first = np.multiply(-Y[i, :], np.log(h[i, :]))
        second = np.multiply(1 - Y[i, :], np.log(1 - h[i, :]))
        J += np.sum(first - second)
    J = J / m
    J += (float(lambda_) / (2 * m)) * (np.sum(np.power(Theta1[:, 1:], 2)) + np.sum(np.power(Theta2[:, 1:], 2)))

    delta1 = np.zeros(Theta1.shape)
    delta2 = np.zeros(Theta2.shape)
    for t in range(m):
        a1t = a1[t, :]
        z2t = z2[t, :]
        a2t = a2[t, :]
        ht = h[t, :]
        yt = Y[t, :]
        d3t = ht - yt
        z2t = np.insert(z2t, 0, values=np.ones(1))
        d2t = np.multiply((Theta2.T * d3t.T).T, np.multiply(sigmoid(z2t), 1 - sigmoid(z2t)))
        delta1 = delta1 + (d2t[:, 1:]).T * a1t
        delta2 = delta2 + d3t.T * a2t
    delta1 = delta1 / m
    delta2 = delta2 / m
    delta1[:, 1:] = delta1[:, 1:] + (Theta1[:, 1:] * lambda_) / m
    delta2[:, 1:] = delta2[:, 1:] + (Theta2[:, 1:] * lambda_) / m

    grad = np.concatenate((np.ravel(delta1), np.ravel(delta2)))
    return J, grad
