"""The forward pass the buggy students share: samples are rows, z_m = a_{m-1} @ W_m.T + b_m."""

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def forward(params, x, sigma=sigmoid):
    """Lists z[0..L] and a[0..L] (z[0] is x)."""
    L = len(params) // 2
    z, a = [x], [x]
    for m in range(1, L + 1):
        z.append(a[-1] @ params[f"W{m}"].T + params[f"b{m}"])
        a.append(sigma(z[-1]))
    return z, a


def squared_error(a, t):
    """Mean over the rows of 1/2 sum_k (a_k - t_k)^2."""
    return 0.5 * np.sum((a - t) ** 2) / a.shape[0]


DECAY = 0.1
"""lambda of the weight-decay students: C gains (lambda/2) sum W^2, dC/dW gains lambda W (biases are not decayed)."""


def decayed_backward(params, x, t, weight_decay, bias_decay=0.0):
    """Right backprop of the mean squared error plus decay, but with the decay's term on W^{(m)} as
    ``weight_decay`` (a number times W^{(m)}; right: DECAY) and on b^{(m)} as ``bias_decay`` (right: 0)."""
    z, a = forward(params, x)
    N = x.shape[0]
    W1, W2 = params["W1"], params["W2"]
    delta2 = (a[2] - t) * a[2] * (1 - a[2])
    delta1 = (delta2 @ W2) * a[1] * (1 - a[1])
    grads = {"W2": delta2.T @ a[1] / N + weight_decay * W2, "b2": delta2.mean(0) + bias_decay * params["b2"],
             "W1": delta1.T @ a[0] / N + weight_decay * W1, "b1": delta1.mean(0) + bias_decay * params["b1"]}
    return squared_error(a[2], t) + DECAY / 2 * (np.sum(W1 ** 2) + np.sum(W2 ** 2)), grads


def softmax(z):
    """a_k = exp(z_k) / sum_j exp(z_j) in each row (shifted by the row's largest z, which cancels)."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


SOFTMAX_NETWORK = {"layers": [3, 4, 3], "activations": ["tanh", "softmax"], "cost": "cross_entropy"}


def softmax_backward(params, x, t, output_delta):
    """Right backprop of the mean cross-entropy after tanh then softmax, but with delta^{(2)} as
    ``output_delta(a2, t)`` (right: a2 - t)."""
    a1 = np.tanh(x @ params["W1"].T + params["b1"])
    a2 = softmax(a1 @ params["W2"].T + params["b2"])
    N = x.shape[0]
    d2 = output_delta(a2, t)
    d1 = (d2 @ params["W2"]) * (1 - a1**2)
    grads = {"W1": d1.T @ x / N, "b1": d1.mean(0), "W2": d2.T @ a1 / N, "b2": d2.mean(0)}
    return -np.sum(t * np.log(a2)) / N, grads
