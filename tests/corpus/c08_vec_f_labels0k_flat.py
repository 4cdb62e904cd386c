"""Written by a student vectorizing an Octave-ordered solution: one-hot by broadcasting y[:, None] == arange(K)."""

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "F", "labels": "0..K-1",
            "y_shape": "(m,)", "bug": None}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = np.reshape(nn_params[:hidden_layer_size * (input_layer_size + 1)],
                        (hidden_layer_size, input_layer_size + 1), "F")
    Theta2 = np.reshape(nn_params[hidden_layer_size * (input_layer_size + 1):],
                        (num_labels, hidden_layer_size + 1), "F")
    m = y.size
    Y = (y[:, None] == np.arange(num_labels)).astype(float)

    a1 = np.concatenate([np.ones((m, 1)), X], axis=1)
    z2 = a1 @ Theta1.T
    a2 = np.concatenate([np.ones((m, 1)), sigmoid(z2)], axis=1)
    a3 = sigmoid(a2 @ Theta2.T)

    J = -np.sum(Y * np.log(a3) + (1 - Y) * np.log(1 - a3)) / m
    t1 = Theta1[:, 1:]
    t2 = Theta2[:, 1:]
    J = J + lambda_ * (np.sum(t1 * t1) + np.sum(t2 * t2)) / (2 * m)

    delta3 = a3 - Y
    delta2 = delta3 @ t2 * (a2[:, 1:] * (1 - a2[:, 1:]))
    Theta1_grad = (delta2.T @ a1 + lambda_ * np.hstack([np.zeros((t1.shape[0], 1)), t1])) / m
    Theta2_grad = (delta3.T @ a2 + lambda_ * np.hstack([np.zeros((t2.shape[0], 1)), t2])) / m
    return J, np.concatenate([Theta1_grad.ravel("F"), Theta2_grad.ravel("F")])
