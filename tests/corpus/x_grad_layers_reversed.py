"""A student who builds the gradients output layer first and concatenates them in that order (beyond the catalog)."""

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "C", "labels": "1..K",
            "y_shape": "(m,)", "bug": ("beyond: grad unrolled as [Theta2_grad, Theta1_grad], the "
                                       "layers in reverse order")}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = nn_params[:hidden_layer_size * (input_layer_size + 1)].reshape(hidden_layer_size, input_layer_size + 1)
    Theta2 = nn_params[hidden_layer_size * (input_layer_size + 1):].reshape(num_labels, hidden_layer_size + 1)
    m = X.shape[0]
    Y = np.eye(num_labels)[y - 1]

    a1 = np.c_[np.ones(m), X]
    z2 = a1 @ Theta1.T
    a2 = np.c_[np.ones(m), sigmoid(z2)]
    a3 = sigmoid(a2 @ Theta2.T)

    J = np.sum(-Y * np.log(a3) - (1 - Y) * np.log(1 - a3)) / m
    J += lambda_ / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))

    grads = []
    d3 = a3 - Y
    grads.append(d3.T @ a2 / m)
    grads[-1][:, 1:] += lambda_ / m * Theta2[:, 1:]
    d2 = (d3 @ Theta2[:, 1:]) * a2[:, 1:] * (1 - a2[:, 1:])
    grads.append(d2.T @ a1 / m)
    grads[-1][:, 1:] += lambda_ / m * Theta1[:, 1:]
    return J, np.concatenate([g.ravel() for g in grads])
