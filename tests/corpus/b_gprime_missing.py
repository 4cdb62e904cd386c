"""A student generalising to any depth who forgot the sigmoid's derivative in the hidden deltas (gprime_missing)."""

import numpy as np

EXPECTED = {"function": "cost_and_grad", "signature": "gradtrio", "order": None, "labels": None,
            "y_shape": None, "bug": "gprime_missing"}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def cost_and_grad(thetas, X, Y, lam):
    m = X.shape[0]
    a = [np.c_[np.ones(m), X]]
    for Theta in thetas[:-1]:
        a.append(np.c_[np.ones(m), sigmoid(a[-1] @ Theta.T)])
    h = sigmoid(a[-1] @ thetas[-1].T)

    J = np.sum(-Y * np.log(h) - (1 - Y) * np.log(1 - h)) / m
    for Theta in thetas:
        J += lam / (2 * m) * np.sum(Theta[:, 1:] ** 2)

    grads = []
    delta = h - Y
    for l in range(len(thetas) - 1, -1, -1):
        g = delta.T @ a[l] / m
        g[:, 1:] += lam / m * thetas[l][:, 1:]
        grads.insert(0, g)
        delta = delta @ thetas[l][:, 1:]
    return J, grads
