"""A student who adds (lambda/m)*Theta to Delta and then divides the sum by m (beyond the catalog); one-hot Y."""

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "C", "labels": "one-hot",
            "y_shape": None, "bug": ("beyond: D = (Delta + (lambda/m) Theta) / m, the gradient's "
                                     "regularization divided by m twice")}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = nn_params[:hidden_layer_size * (input_layer_size + 1)].reshape(hidden_layer_size, input_layer_size + 1)
    Theta2 = nn_params[hidden_layer_size * (input_layer_size + 1):].reshape(num_labels, hidden_layer_size + 1)
    m = X.shape[0]

    a1 = np.c_[np.ones(m), X]
    z2 = a1 @ Theta1.T
    a2 = np.c_[np.ones(m), sigmoid(z2)]
    h = sigmoid(a2 @ Theta2.T)

    J = np.sum(-y * np.log(h) - (1 - y) * np.log(1 - h)) / m
    J += lambda_ / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))

    d3 = h - y
    d2 = (d3 @ Theta2[:, 1:]) * sigmoid(z2) * (1 - sigmoid(z2))
    Delta1 = d2.T @ a1
    Delta2 = d3.T @ a2
    T1 = np.c_[np.zeros(hidden_layer_size), Theta1[:, 1:]]
    T2 = np.c_[np.zeros(num_labels), Theta2[:, 1:]]
    Theta1_grad = (Delta1 + lambda_ / m * T1) / m
    Theta2_grad = (Delta2 + lambda_ / m * T2) / m
    return J, np.concatenate([Theta1_grad.ravel(), Theta2_grad.ravel()])
