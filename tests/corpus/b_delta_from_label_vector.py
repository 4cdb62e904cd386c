"""A student who builds Y for the cost but keeps the label column y in delta3 = a3 - y (delta_from_label_vector)."""

import numpy as np

EXPECTED = {"function": "nnCostFunction", "signature": "course", "order": "F", "labels": "1..K",
            "y_shape": "(m, 1)", "bug": "delta_from_label_vector"}


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):
    Theta1 = nn_params[:hidden_layer_size * (input_layer_size + 1)].reshape(
        (hidden_layer_size, input_layer_size + 1), order="F")
    Theta2 = nn_params[hidden_layer_size * (input_layer_size + 1):].reshape(
        (num_labels, hidden_layer_size + 1), order="F")
    m = X.shape[0]
    y_matrix = np.eye(num_labels)[y[:, 0] - 1]

    a1 = np.column_stack((np.ones(m), X))
    z2 = a1 @ Theta1.T
    a2 = np.column_stack((np.ones(m), sigmoid(z2)))
    a3 = sigmoid(a2 @ Theta2.T)

    J = np.sum(-y_matrix * np.log(a3) - (1 - y_matrix) * np.log(1 - a3)) / m
    J += lambda_ / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))

    delta3 = a3 - y
    delta2 = (delta3 @ Theta2[:, 1:]) * sigmoid(z2) * (1 - sigmoid(z2))
    Theta1_grad = delta2.T @ a1 / m
    Theta2_grad = delta3.T @ a2 / m
    Theta1_grad[:, 1:] += lambda_ / m * Theta1[:, 1:]
    Theta2_grad[:, 1:] += lambda_ / m * Theta2[:, 1:]
    return J, np.concatenate((Theta1_grad.ravel(order="F"), Theta2_grad.ravel(order="F")))
