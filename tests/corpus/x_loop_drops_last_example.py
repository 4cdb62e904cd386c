"""A student converting Octave's 1:m to range(m - 1), so the last example is never seen (beyond the catalog)."""

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "C", "labels": "1..K",
            "y_shape": "(m, 1)", "bug": ("beyond: per-example loop runs range(m - 1): the last "
                                         "example is dropped, sums still divided by m")}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = nn_params[:hidden_layer_size * (input_layer_size + 1)].reshape(hidden_layer_size, input_layer_size + 1)
    Theta2 = nn_params[hidden_layer_size * (input_layer_size + 1):].reshape(num_labels, hidden_layer_size + 1)
    m = X.shape[0]
    J = 0
    Delta1 = np.zeros(Theta1.shape)
    Delta2 = np.zeros(Theta2.shape)
    for i in range(m - 1):
        a1 = np.r_[1, X[i]]
        z2 = Theta1 @ a1
        a2 = np.r_[1, sigmoid(z2)]
        a3 = sigmoid(Theta2 @ a2)
        yk = np.zeros(num_labels)
        yk[y[i, 0] - 1] = 1
        J += np.sum(-yk * np.log(a3) - (1 - yk) * np.log(1 - a3))
        d3 = a3 - yk
        d2 = (Theta2[:, 1:].T @ d3) * sigmoid(z2) * (1 - sigmoid(z2))
        Delta1 += np.outer(d2, a1)
        Delta2 += np.outer(d3, a2)
    J = J / m + lambda_ / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))
    Theta1_grad = Delta1 / m
    Theta2_grad = Delta2 / m
    Theta1_grad[:, 1:] += lambda_ / m * Theta1[:, 1:]
    Theta2_grad[:, 1:] += lambda_ / m * Theta2[:, 1:]
    return J, np.concatenate([Theta1_grad.ravel(), Theta2_grad.ravel()])
