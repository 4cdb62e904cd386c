"""Written by a student generalising ex4 to any depth (a list of Theta, one-hot Y): vectorized, layers in a loop."""

import numpy as np

EXPECTED = {"function": "cost_and_grad", "signature": "gradtrio", "order": None, "labels": None,
            "y_shape": None, "bug": None}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def cost_and_grad(thetas, X, Y, lam):
    m = X.shape[0]
    acts = [np.hstack([np.ones((m, 1)), X])]
    for i, Theta in enumerate(thetas):
        a = sigmoid(acts[-1] @ Theta.T)
        if i < len(thetas) - 1:
            a = np.hstack([np.ones((m, 1)), a])
        acts.append(a)
    h = acts[-1]

    J = np.sum(-Y * np.log(h) - (1 - Y) * np.log(1 - h)) / m
    J += lam / (2 * m) * sum(np.sum(Theta[:, 1:] ** 2) for Theta in thetas)

    grads = [None] * len(thetas)
    delta = h - Y
    for i in reversed(range(len(thetas))):
        grads[i] = delta.T @ acts[i] / m
        grads[i][:, 1:] += lam / m * thetas[i][:, 1:]
        if i > 0:
            a = acts[i][:, 1:]
            delta = (delta @ thetas[i][:, 1:]) * a * (1 - a)
    return J, grads
