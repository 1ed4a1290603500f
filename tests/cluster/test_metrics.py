"""ACC, NMI, ARI and the stability scores; the report files."""

from __future__ import annotations

import csv
import json

import numpy as np
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from latentcv.cluster import KMeansHead, MethodScores, accuracy, ari, nmi, write_report
from latentcv.cluster.metrics import label_scores, stability_at_assign, stability_at_aug


def test_acc_on_a_permutation_example() -> None:
    labels = np.array([0, 0, 1, 1, 2, 2])
    # By hand: clusters 1, 0, 2 ↔ labels 0, 1, 2; point 4 (cluster 0, label 2) is the one miss.
    pred = np.array([1, 1, 0, 0, 0, 2])
    assert accuracy(pred, labels) == 5 / 6
    assert accuracy(np.array([2, 2, 0, 0, 1, 1]), labels) == 1.0
    # More clusters than labels: the surplus cluster's points count as misses.
    assert accuracy(np.array([0, 0, 1, 1, 2, 3]), labels) == 5 / 6


def test_nmi_and_ari_equal_scikit_learn() -> None:
    rng = np.random.default_rng(11)
    labels = rng.integers(0, 3, 50)
    pred = np.where(rng.random(50) < 0.7, labels, rng.integers(0, 4, 50))
    assert nmi(pred, labels) == normalized_mutual_info_score(labels, pred)
    assert ari(pred, labels) == adjusted_rand_score(labels, pred)
    assert 0.3 < nmi(pred, labels) < 0.9  # a partial agreement, not a degenerate case
    expected = {"acc": accuracy(pred, labels), "nmi": nmi(pred, labels), "ari": ari(pred, labels)}
    assert label_scores(pred, labels) == expected


def test_stability_scores(blobs) -> None:
    X, _, X_aug = blobs
    head = KMeansHead(n_clusters=3).fit(X)
    assert stability_at_aug(head, X, X_aug) > 0.97
    shuffled = X_aug[np.random.default_rng(0).permutation(len(X))]
    assert stability_at_aug(head, X, shuffled) < 0.6
    assert stability_at_assign(np.array([0, 0, 1, 1]), np.array([1, 1, 0, 0])) == 1.0
    assert stability_at_assign(np.array([0, 0, 1, 1]), np.array([1, 0, 0, 0])) == 0.75


def test_write_report(tmp_path) -> None:
    scores = [
        MethodScores("nmc", 3, acc=0.9, nmi=0.8, ari=0.7, stability_aug=0.95, stability_assign=None),
        MethodScores("kmeans_auto", 2, acc=0.6, nmi=0.5, ari=0.4, stability_aug=0.99, stability_assign=1.0),
    ]
    preds = {"nmc": np.array([0, 1, 2, 2]), "kmeans_auto": np.array([1, 1, 0, 0])}
    paths = write_report(tmp_path / "out", scores, preds, {"note": "x"})
    results = json.loads(paths["results"].read_text())
    assert results["methods"][0]["acc"] == 0.9 and results["details"] == {"note": "x"}
    assert results["predictions_rows"] == ["nmc", "kmeans_auto"]
    saved = np.load(paths["predictions"])
    assert saved.dtype == np.int64 and saved.tolist() == [[0, 1, 2, 2], [1, 1, 0, 0]]
    rows = list(csv.DictReader(paths["csv"].open()))
    assert [r["method"] for r in rows] == ["nmc", "kmeans_auto"] and rows[0]["stability_assign"] == ""
    tex = paths["latex"].read_text()
    for rule in (r"\toprule", r"\midrule", r"\bottomrule"):
        assert tex.count(rule) == 1
    assert r"nmc & 3 & \textbf{0.900} & \textbf{0.800} & \textbf{0.700} & 0.950 & -- \\" in tex
    assert r"kmeans\_auto & 2 & 0.600" in tex and r"\textbf{0.990}" in tex
