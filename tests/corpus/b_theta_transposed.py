"""A student writing Theta2'*delta3 as Theta2[:, 1:] @ d3 in a loop (theta_transposed; square Theta2[:, 1:] only)."""

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "F", "labels": "1..K",
            "y_shape": "(m, 1)", "bug": "theta_transposed"}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = np.reshape(nn_params[:hidden_layer_size * (input_layer_size + 1)],
                        (hidden_layer_size, input_layer_size + 1), order="F")
    Theta2 = np.reshape(nn_params[hidden_layer_size * (input_layer_size + 1):],
                        (num_labels, hidden_layer_size + 1), order="F")
    m = X.shape[0]
    J = 0
    Delta1 = np.zeros(Theta1.shape)
    Delta2 = np.zeros(Theta2.shape)
    for t in range(m):
        a1 = np.r_[1, X[t]]
        z2 = Theta1 @ a1
        a2 = np.r_[1, sigmoid(z2)]
        a3 = sigmoid(Theta2 @ a2)
        yt = np.zeros(num_labels)
        yt[y[t, 0] - 1] = 1
        J += np.sum(-yt * np.log(a3) - (1 - yt) * np.log(1 - a3))
        d3 = a3 - yt
        d2 = (Theta2[:, 1:] @ d3) * sigmoid(z2) * (1 - sigmoid(z2))
        Delta1 += np.outer(d2, a1)
        Delta2 += np.outer(d3, a2)
    J = J / m + lambda_ / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))
    Theta1_grad = Delta1 / m
    Theta2_grad = Delta2 / m
    Theta1_grad[:, 1:] += lambda_ / m * Theta1[:, 1:]
    Theta2_grad[:, 1:] += lambda_ / m * Theta2[:, 1:]
    return J, np.concatenate([Theta1_grad.ravel(order="F"), Theta2_grad.ravel(order="F")])
