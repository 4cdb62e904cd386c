"""A student who kept the quadratic cost of a first tutorial, sum((h - Y)**2)/(2m), for sigmoid outputs, with
the cross-entropy's delta h - Y in backprop (cost_squared_error_with_ce_delta); any depth."""

import numpy as np

EXPECTED = {"function": "cost_and_grad", "signature": "gradtrio", "order": None, "labels": None,
            "y_shape": None, "bug": "cost_squared_error_with_ce_delta"}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def cost_and_grad(thetas, X, Y, lam):
    m = X.shape[0]
    acts = [X]
    for Theta in thetas:
        z = acts[-1] @ Theta[:, 1:].T + Theta[:, 0]
        acts.append(sigmoid(z))
    h = acts[-1]

    J = np.sum((h - Y) ** 2) / (2 * m)
    J += lam / (2 * m) * sum(np.sum(Theta[:, 1:] ** 2) for Theta in thetas)

    grads = []
    delta = h - Y
    for l in reversed(range(len(thetas))):
        G = np.zeros(thetas[l].shape)
        G[:, 0] = delta.sum(axis=0) / m
        G[:, 1:] = delta.T @ acts[l] / m + lam / m * thetas[l][:, 1:]
        grads.append(G)
        delta = (delta @ thetas[l][:, 1:]) * acts[l] * (1 - acts[l])
    grads.reverse()
    return J, grads
