"""symbp verify (symbp.testing) on a softmax output with cross-entropy.

A student's backward pass written here in NumPy from the lecture's a - t; its targets must
be probability vectors (else a - t is not the gradient). Each typical softmax mistake,
planted by hand, must be named.
"""

from __future__ import annotations

import numpy as np
import pytest

from symbp import Network
from symbp.testing import compare_gradients, describe_mistake

NET = Network([3, 4, 3], ["tanh", "softmax"], "cross_entropy")


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def student(mistake: str | None, seen: list | None = None):
    def backward(params, x, t):
        if seen is not None:
            seen.append(np.array(t))
        a1 = np.tanh(x @ params["W1"].T + params["b1"])
        a2 = softmax(a1 @ params["W2"].T + params["b2"])
        N = x.shape[0]
        C = -np.sum(t * np.log(a2)) / N
        d2 = {
            None: a2 - t,
            "softmax_target_not_subtracted": a2,  # forgot the - t
            "softmax_elementwise": (-t / a2) * a2 * (1 - a2),  # sigmoid's a(1 - a) in place of the Jacobian
            "mean_forgotten": a2 - t,  # the 1/N below
        }[mistake]
        d1 = (d2 @ params["W2"]) * (1 - a1**2)
        scale = 1 if mistake == "mean_forgotten" else N
        return C, {"W2": d2.T @ a1 / scale, "b2": d2.sum(0) / scale, "W1": d1.T @ x / scale, "b1": d1.sum(0) / scale}
    return backward


@pytest.mark.parametrize("batch", [1, 5])
def test_the_targets_are_probability_vectors_and_a_minus_t_passes(batch):
    seen: list = []
    report = compare_gradients(student(None, seen), NET, points=4, batch=batch, seed=3)
    assert report.passed, report
    assert seen
    for t in seen:
        assert t.shape[-1] == 3
        rows = t.reshape(-1, 3)
        assert np.all(rows >= 0) and np.allclose(rows.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert len({tuple(np.round(t.ravel(), 12)) for t in seen}) > 1  # drawn afresh, not one fixed target


@pytest.mark.parametrize("mistake", ["softmax_target_not_subtracted", "softmax_elementwise", "mean_forgotten"])
def test_each_softmax_mistake_is_named(mistake):
    report = compare_gradients(student(mistake), NET, points=4, batch=4, seed=1)
    assert not report.passed
    assert report.diagnosis is not None and report.diagnosis.supported
    kinds = [[m.kind for m in explanation] for explanation in report.diagnosis.explanations]
    assert [mistake] in kinds, kinds
    text = str(report)
    named = next(e for e in report.diagnosis.explanations if [m.kind for m in e] == [mistake])
    assert describe_mistake(named[0], NET) in text


def test_the_softmax_mistakes_are_described_in_the_lecture_s_terms():
    report = compare_gradients(student("softmax_target_not_subtracted"), NET, points=3, batch=2)
    assert "t is not subtracted at the softmax output" in str(report)
    report = compare_gradients(student("softmax_elementwise"), NET, points=3, batch=2)
    assert "Jacobian" in str(report) and "element-wise" in str(report)


# A defined non-linearity (--define): the mistaken backprop takes sigma and sigma' from the formula --------------

SWISH = Network([2, 3, 1], ["sw", "sigmoid"], "squared_error", define={"sw": "x/(1+exp(-x))"})


def swish_student(mistake: str | None):
    def backward(params, x, t):
        sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
        swish_prime = lambda z: sig(z) + z * sig(z) * (1 - sig(z))  # noqa: E731  d/dz z sigmoid(z), by hand
        z1 = x @ params["W1"].T + params["b1"]
        a1 = z1 * sig(z1)
        a2 = sig(a1 @ params["W2"].T + params["b2"])
        N = x.shape[0]
        d2 = (a2 - t) * a2 * (1 - a2)
        local = {None: swish_prime(z1), "sigma_prime_missing": 1.0, "sigma_prime_at_a": swish_prime(a1)}[mistake]
        d1 = (d2 @ params["W2"]) * local
        grads = {"W1": d1.T @ x / N, "b1": d1.mean(0), "W2": d2.T @ a1 / N, "b2": d2.mean(0)}
        return 0.5 * np.sum((a2 - t) ** 2) / N, grads
    return backward


@pytest.mark.parametrize("mistake", [None, "sigma_prime_missing", "sigma_prime_at_a"])
def test_a_defined_non_linearity_s_mistakes_are_named(mistake):
    report = compare_gradients(swish_student(mistake), SWISH, points=4, batch=3, seed=2)
    assert report.passed == (mistake is None), report
    if mistake is not None:
        assert report.diagnosis.supported
        kinds = [[(m.kind, m.layer) for m in e] for e in report.diagnosis.explanations]
        assert [(mistake, 1)] in kinds, kinds
