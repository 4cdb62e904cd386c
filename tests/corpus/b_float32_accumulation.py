"""A student who allocates the Delta buffers as float32 to save memory (float32_accumulation); vectorized, y (m, 1)."""

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "C", "labels": "0..K-1",
            "y_shape": "(m, 1)", "bug": "float32_accumulation"}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = nn_params[:hidden_layer_size * (input_layer_size + 1)].reshape(hidden_layer_size, input_layer_size + 1)
    Theta2 = nn_params[hidden_layer_size * (input_layer_size + 1):].reshape(num_labels, hidden_layer_size + 1)
    m = X.shape[0]
    Y = np.eye(num_labels)[y.ravel()]

    a1 = np.hstack([np.ones((m, 1)), X])
    z2 = a1 @ Theta1.T
    a2 = np.hstack([np.ones((m, 1)), sigmoid(z2)])
    a3 = sigmoid(a2 @ Theta2.T)

    J = np.sum(-Y * np.log(a3) - (1 - Y) * np.log(1 - a3)) / m
    J += lambda_ / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))

    Delta1 = np.zeros(Theta1.shape, dtype=np.float32)
    Delta2 = np.zeros(Theta2.shape, dtype=np.float32)
    d3 = a3 - Y
    d2 = (d3 @ Theta2[:, 1:]) * a2[:, 1:] * (1 - a2[:, 1:])
    Delta2 += d3.T @ a2
    Delta1 += d2.T @ a1

    reg1 = np.hstack([np.zeros((hidden_layer_size, 1)), Theta1[:, 1:]])
    reg2 = np.hstack([np.zeros((num_labels, 1)), Theta2[:, 1:]])
    Theta1_grad = Delta1 / m + lambda_ / m * reg1
    Theta2_grad = Delta2 / m + lambda_ / m * reg2
    return J, np.concatenate([Theta1_grad.ravel(), Theta2_grad.ravel()])
