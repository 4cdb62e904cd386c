"""A student with a list of Theta (any depth) whose output delta is z_L - y (output_delta_from_z)."""

import numpy as np

EXPECTED = {"function": "nn_cost", "signature": "gradtrio", "order": None, "labels": None,
            "y_shape": None, "bug": "output_delta_from_z"}


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def nn_cost(thetas, X, Y, lam):
    m = X.shape[0]
    A = [np.insert(X, 0, 1, axis=1)]
    Z = []
    for i, T in enumerate(thetas):
        Z.append(A[-1] @ T.T)
        if i == len(thetas) - 1:
            A.append(sigmoid(Z[-1]))
        else:
            A.append(np.insert(sigmoid(Z[-1]), 0, 1, axis=1))
    h = A[-1]
    J = (-Y * np.log(h) - (1 - Y) * np.log(1 - h)).sum() / m
    J += lam / (2 * m) * sum((T[:, 1:] ** 2).sum() for T in thetas)

    delta = Z[-1] - Y
    grads = [None] * len(thetas)
    for i in range(len(thetas) - 1, -1, -1):
        grads[i] = (delta.T @ A[i]) / m
        grads[i][:, 1:] += (lam / m) * thetas[i][:, 1:]
        if i:
            delta = (delta @ thetas[i][:, 1:]) * sigmoid(Z[i - 1]) * (1 - sigmoid(Z[i - 1]))
    return J, grads
