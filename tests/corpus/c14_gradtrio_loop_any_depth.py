"""Written by a student who kept the course's per-example loop when moving to a list of Theta of any depth."""

import numpy as np

EXPECTED = {"function": "backprop", "signature": "gradtrio", "order": None, "labels": None,
            "y_shape": None, "bug": None}


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_gradient(z):
    return sigmoid(z) * (1 - sigmoid(z))


def backprop(thetas, X, Y, lam):
    L = len(thetas)
    m = len(X)
    J = 0.0
    Deltas = [np.zeros(T.shape) for T in thetas]
    for t in range(m):
        a = [np.r_[1.0, X[t]]]
        z = [None]
        for l in range(L):
            z.append(thetas[l] @ a[l])
            if l == L - 1:
                a.append(sigmoid(z[-1]))
            else:
                a.append(np.r_[1.0, sigmoid(z[-1])])
        h = a[-1]
        J += np.sum(-Y[t] * np.log(h) - (1 - Y[t]) * np.log(1 - h))
        d = h - Y[t]
        for l in range(L - 1, -1, -1):
            Deltas[l] += np.outer(d, a[l])
            if l > 0:
                d = (thetas[l].T @ d)[1:] * sigmoid_gradient(z[l])
    J = J / m
    grads = []
    for T, D in zip(thetas, Deltas):
        J += lam / (2 * m) * np.sum(T[:, 1:] ** 2)
        G = D / m
        G[:, 1:] += lam / m * T[:, 1:]
        grads.append(G)
    return J, grads
