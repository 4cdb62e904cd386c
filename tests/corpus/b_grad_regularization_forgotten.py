"""An Octave user (examples as columns) who never regularized the gradient (grad_regularization_forgotten)."""

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "F", "labels": "0..K-1",
            "y_shape": "(m,)", "bug": "grad_regularization_forgotten"}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = np.reshape(nn_params[:hidden_layer_size * (input_layer_size + 1)],
                        (hidden_layer_size, input_layer_size + 1), order="F")
    Theta2 = np.reshape(nn_params[hidden_layer_size * (input_layer_size + 1):],
                        (num_labels, hidden_layer_size + 1), order="F")
    m = X.shape[0]
    Y = np.zeros((num_labels, m))
    Y[y, np.arange(m)] = 1

    a1 = np.r_[np.ones((1, m)), X.T]
    z2 = Theta1 @ a1
    a2 = np.r_[np.ones((1, m)), sigmoid(z2)]
    a3 = sigmoid(Theta2 @ a2)

    J = np.sum(-Y * np.log(a3) - (1 - Y) * np.log(1 - a3)) / m
    J = J + lambda_ / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))

    d3 = a3 - Y
    d2 = (Theta2[:, 1:].T @ d3) * sigmoid(z2) * (1 - sigmoid(z2))
    Theta1_grad = d2 @ a1.T / m
    Theta2_grad = d3 @ a2.T / m
    return J, np.r_[Theta1_grad.ravel(order="F"), Theta2_grad.ravel(order="F")]
