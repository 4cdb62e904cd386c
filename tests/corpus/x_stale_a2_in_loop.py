"""A student whose loop adds Delta2 before recomputing a2: the previous example's a2 (beyond the catalog)."""

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "F", "labels": "0..K-1",
            "y_shape": "(m,)", "bug": ("beyond: per-example loop adds outer(delta3, a2) with a2 of "
                                       "the previous example (zeros for the first)")}


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = nn_params[:hidden_layer_size * (input_layer_size + 1)].reshape(
        (hidden_layer_size, input_layer_size + 1), order="F")
    Theta2 = nn_params[hidden_layer_size * (input_layer_size + 1):].reshape(
        (num_labels, hidden_layer_size + 1), order="F")
    m = X.shape[0]
    J = 0
    Delta1 = np.zeros(Theta1.shape)
    Delta2 = np.zeros(Theta2.shape)
    a2 = np.zeros(hidden_layer_size + 1)
    a3 = np.zeros(num_labels)
    for t in range(m):
        yt = np.zeros(num_labels)
        yt[y[t]] = 1
        a1 = np.r_[1.0, X[t]]
        z2 = Theta1 @ a1
        a3 = sigmoid(Theta2 @ np.r_[1.0, sigmoid(z2)])
        d3 = a3 - yt
        Delta2 += np.outer(d3, a2)
        a2 = np.r_[1.0, sigmoid(z2)]
        d2 = (Theta2[:, 1:].T @ d3) * a2[1:] * (1 - a2[1:])
        Delta1 += np.outer(d2, a1)
        J += np.sum(-yt * np.log(a3) - (1 - yt) * np.log(1 - a3))
    J = J / m + lambda_ / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))
    Theta1_grad = Delta1 / m
    Theta2_grad = Delta2 / m
    Theta1_grad[:, 1:] += lambda_ / m * Theta1[:, 1:]
    Theta2_grad[:, 1:] += lambda_ / m * Theta2[:, 1:]
    return J, np.concatenate([Theta1_grad.ravel(order="F"), Theta2_grad.ravel(order="F")])
