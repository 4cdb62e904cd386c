"""A student who writes delta3 = y - a3 in the per-example loop (output_delta_sign); NumPy order, y of shape (m,)."""

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "C", "labels": "1..K",
            "y_shape": "(m,)", "bug": "output_delta_sign"}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = nn_params[:hidden_layer_size * (input_layer_size + 1)].reshape(hidden_layer_size, input_layer_size + 1)
    Theta2 = nn_params[hidden_layer_size * (input_layer_size + 1):].reshape(num_labels, hidden_layer_size + 1)
    m = X.shape[0]
    J = 0
    D1 = np.zeros(Theta1.shape)
    D2 = np.zeros(Theta2.shape)
    for i in range(m):
        a1 = np.append([1], X[i])
        z2 = Theta1 @ a1
        a2 = np.append([1], sigmoid(z2))
        a3 = sigmoid(Theta2 @ a2)
        yy = np.zeros(num_labels)
        yy[y[i] - 1] = 1
        J = J + np.sum(-yy * np.log(a3) - (1 - yy) * np.log(1 - a3))
        delta3 = yy - a3
        delta2 = (Theta2.T @ delta3)[1:] * (sigmoid(z2) * (1 - sigmoid(z2)))
        D1 = D1 + np.outer(delta2, a1)
        D2 = D2 + np.outer(delta3, a2)
    J = J / m + (lambda_ / (2 * m)) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))
    Theta1_grad = D1 / m
    Theta2_grad = D2 / m
    Theta1_grad[:, 1:] = Theta1_grad[:, 1:] + (lambda_ / m) * Theta1[:, 1:]
    Theta2_grad[:, 1:] = Theta2_grad[:, 1:] + (lambda_ / m) * Theta2[:, 1:]
    return J, np.concatenate([Theta1_grad.ravel(), Theta2_grad.ravel()])
