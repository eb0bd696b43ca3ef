"""The multilingual head: softmax regression where Red-versus-Green rows teach nothing about Yellow."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from models.classifier import softmax
from training.head import GREEN, RED, YELLOW, fit_head, row_weights


def clusters(rng: np.random.Generator, n: int, centre: list[float]) -> np.ndarray:
    return rng.normal(centre, 0.6, size=(n, 2))


@pytest.fixture
def three_colours() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    features = np.vstack([clusters(rng, 200, [-2, 0]), clusters(rng, 400, [0, 0]), clusters(rng, 100, [2, 0])])
    labels = np.array([RED] * 200 + [YELLOW] * 400 + [GREEN] * 100)
    return features, labels


def test_without_red_green_rows_it_is_balanced_logistic_regression(three_colours: tuple[np.ndarray, np.ndarray]
                                                                     ) -> None:
    features, labels = three_colours
    head = fit_head(features, labels, c=0.5)
    reference = LogisticRegression(C=0.5, class_weight="balanced", max_iter=5000, tol=1e-10).fit(features, labels)
    ours, theirs = softmax(head.logits(features)), reference.predict_proba(features)
    assert np.abs(ours - theirs).max() < 1e-3


def test_red_green_rows_move_red_against_green_and_leave_yellow_alone(three_colours: tuple[np.ndarray, np.ndarray]
                                                                      ) -> None:
    features, labels = three_colours
    rng = np.random.default_rng(1)
    # A second feature that the three-colour rows never vary: only Red/Green rows say what it means.
    pairs = np.vstack([clusters(rng, 300, [0, -2]), clusters(rng, 300, [0, 2])])
    pair_labels = np.array([RED] * 300 + [GREEN] * 300)
    all_features = np.vstack([features, pairs])
    all_labels = np.concatenate([labels, pair_labels])
    flags = np.r_[np.zeros(len(labels), bool), np.ones(len(pairs), bool)]
    plain = fit_head(features, labels)
    taught = fit_head(all_features, all_labels, flags)
    probe = np.array([[0.0, -2.0], [0.0, 2.0]])
    before, after = softmax(plain.logits(probe)), softmax(taught.logits(probe))
    assert after[0, RED] > after[0, GREEN] and after[1, GREEN] > after[1, RED]  # the new direction is learned
    assert abs(before[0, RED] - before[0, GREEN]) < 0.2  # which the three-colour rows alone never taught
    # The same rows as plain three-colour rows would teach that text like them is never Yellow.
    naive = softmax(fit_head(all_features, all_labels).logits(probe))
    assert (naive[:, YELLOW] < after[:, YELLOW] - 0.1).all()


def test_weights_balance_the_colours_and_refuse_a_yellow_red_green_row() -> None:
    labels = np.array([RED, YELLOW, YELLOW, GREEN, RED, GREEN])
    flags = np.array([False, False, False, False, True, True])
    weights = row_weights(labels, flags, 0.3)
    assert weights[1] == weights[2] == pytest.approx(4 / 6) and weights[0] == weights[3] == pytest.approx(4 / 3)
    assert weights[4] == weights[5] == 0.3
    with pytest.raises(ValueError, match="Yellow"):
        fit_head(np.zeros((2, 2)), np.array([YELLOW, RED]), np.array([True, False]))
