"""The audit against planted behaviour, over ten seeds, through the HTTP API (see tests/api/audit_simulation.py).

Honest CSMs are rarely flagged; rosy and harsh CSMs are found, a milder harsh lean as often as the data
allows beside the audit's own minimum detectable effect; a rubber-stamper who claims 9 s on every decision
is marked from check items and the server's clock alone; an anchored CSM is never flagged for direction,
and their anchoring interval covers the planted effect. Figures are recomputed from the decision rows.

The airline messages are read from `../shared` when present (as in CI); the data is never copied here.
PULSE_SIM_SEEDS=1-20 runs a longer check.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sklearn.metrics import cohen_kappa_score

from tests.api.audit_simulation import AIRLINE, STEPS, Outcome, rates, run_all, train_model

FIRST, _, LAST = os.environ.get("PULSE_SIM_SEEDS", "1-10").partition("-")
SEEDS = list(range(int(FIRST), int(LAST or FIRST) + 1))


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> list[Outcome]:
    if not (AIRLINE / "dev.csv").is_file():
        pytest.skip(f"the labelled airline messages are not at {AIRLINE}")
    model = train_model(Path(tmp_path_factory.mktemp("models")) / "airline-tfidf")
    return run_all(SEEDS, model, keep_rows_of=SEEDS[0])


def test_the_audit_finds_planted_behaviour_and_spares_the_honest(outcomes: list[Outcome]) -> None:
    report = rates(outcomes)
    print(report)  # the figures behind the closing note: pytest -s shows them
    flags = report["flag_rate"]
    assert len(outcomes) >= 10
    assert flags["honest"] <= 0.05, report
    # Harsh 40% reaches only non-Red suggestions, and the queue serves first those most likely to be Red (where
    # honest peers turn Red too): 9 of 10 seeds (README, Audit).
    assert flags["rosy-25"] >= 0.95 and flags["harsh-40"] >= 0.9, report
    assert flags["rubber"] == 1.0, report
    assert report["anchoring_covered"] >= 0.9, report
    for outcome in outcomes:
        by_role = {name.rsplit("-", 1)[0]: person for name, person in outcome.people.items()}
        assert by_role["anchored"]["lean"] is None and not by_role["anchored"]["flagged"]
        rubber = by_role["rubber"]
        assert {"decoy_acceptance", "server_timing"} <= set(rubber["rests_on"]), rubber
        assert "client_timing" not in rubber["rests_on"]  # 9 s claimed on every decision: the client says nothing
        assert all(person["n"] >= 100 for person in outcome.people.values() if person["name"] != "lead")
        # The minimum detectable effect is reported for everyone, and a lean found is one it could see.
        harsh = by_role["harsh-25"]
        assert harsh["harsher_mde"] is not None and harsh["harsher_mde"] > 0
        if harsh["lean"] == "harsher":
            assert harsh["harsher_z"] > 0


def test_the_audit_figures_follow_from_the_decision_rows(outcomes: list[Outcome]) -> None:
    [kept] = [o for o in outcomes if o.rows]
    summary, rows = kept.summary, kept.rows
    model = [r["suggested_label"] for r in rows]
    human = [r["label"] for r in rows]
    assert summary["n"] == len(rows)
    assert summary["cohen_kappa"] == round(cohen_kappa_score(model, human), 4)
    assert summary["weighted_kappa"] == round(cohen_kappa_score([STEPS.index(m) for m in model],
                                                                [STEPS.index(h) for h in human],
                                                                weights="quadratic"), 4)
    for m in STEPS:
        for h in STEPS:
            assert summary["confusion"][m][h] == sum(1 for a, b in zip(model, human, strict=True) if (a, b) == (m, h))
    for person in summary["per_user"]:
        mine = [r for r in rows if r["user_id"] == person["user_id"]]
        assert person["n"] == len(mine)
        assert person["accept_rate"] == round(sum(r["accepted"] for r in mine) / len(mine), 4)
        shown = [r for r in mine if not r["blind"]]
        blind = [r for r in mine if r["blind"]]
        anchoring = person["anchoring"]
        assert anchoring["shown"]["n"] == len(shown) and anchoring["blind"]["n"] == len(blind)
        if shown and blind:
            expected = sum(r["accepted"] for r in shown) / len(shown) - sum(r["accepted"] for r in blind) / len(blind)
            assert anchoring["effect"] == round(expected, 4)
        timed = [r for r in mine if r["server_ms"] is not None]
        assert person["server_timed_n"] == len(timed)
