"""The audit summary: figures that an independent computation and the decision listing reproduce."""

from __future__ import annotations

import random

from fastapi.testclient import TestClient
from sklearn.metrics import cohen_kappa_score

from api.demo_messages import MESSAGES
from api.users.models import Role
from tests.conftest import UserFactory

STEP = {"Red": 0, "Yellow": 1, "Green": 2}


def test_summary_matches_scikit_learn_and_the_decision_rows(client: TestClient, make_account, post_message,
                                                            make_user: UserFactory) -> None:
    rng = random.Random(3)
    rosy, rosy_headers = make_user(Role.CSM, "emea", "Rosy")
    honest, honest_headers = make_user(Role.CSM, "emea", "Honest")
    _, lead = make_user(Role.LEAD, "emea")
    account = make_account()
    model, human = [], []
    for index, (truth, _, _, body, _) in enumerate(MESSAGES):
        suggestion = post_message(account["id"], body.format(contact="Ana", company="Acme"))["suggestion"]
        headers, chosen = (honest_headers, truth) if index % 2 else (rosy_headers, "Green")
        payload = {"label": chosen}
        if chosen != suggestion["label"]:
            payload["override_reason"] = "missed_context"
        response = client.post(f"/v1/suggestions/{suggestion['id']}/decisions", headers=headers, json=payload)
        assert response.status_code == 201, response.text
        model.append(suggestion["label"])
        human.append(chosen)
        if rng.random() < 0.2:  # a change of mind: only the newest decision counts
            final = "Yellow"
            payload = {"label": final} | ({"override_reason": "other"} if final != suggestion["label"] else {})
            assert client.post(f"/v1/suggestions/{suggestion['id']}/decisions", headers=headers,
                               json=payload).status_code == 201
            human[-1] = final

    summary = client.get("/v1/audit/summary", headers=lead).json()
    n = len(MESSAGES)
    assert summary["n"] == n
    assert summary["agreement"] == round(sum(m == h for m, h in zip(model, human, strict=True)) / n, 4)
    assert summary["cohen_kappa"] == round(cohen_kappa_score(model, human), 4)
    assert summary["weighted_kappa"] == round(
        cohen_kappa_score([STEP[x] for x in model], [STEP[x] for x in human], weights="quadratic"), 4)
    for m in STEP:
        for h in STEP:
            expected = sum(1 for a, b in zip(model, human, strict=True) if (a, b) == (m, h))
            assert summary["confusion"][m][h] == expected
            # Every cell is reproduced by the decision listing's filters.
            listed = client.get(f"/v1/decisions?suggested_label={m}&label={h}&current=true", headers=lead).json()
            assert listed["count"] == expected

    by_name = {u["name"]: u for u in summary["per_user"]}
    assert set(by_name) == {"Rosy", "Honest"}
    rosy_rows = client.get(f"/v1/decisions?user_id={rosy.id}&current=true", headers=lead).json()
    assert by_name["Rosy"]["n"] == rosy_rows["count"]
    shifts = [d["shift"] for d in rosy_rows["data"]]
    assert by_name["Rosy"]["mean_shift"] == round(sum(shifts) / len(shifts), 4)
    assert by_name["Rosy"]["rosier_rate"] == round(sum(s > 0 for s in shifts) / len(shifts), 4)
    assert by_name["Rosy"]["harsher_rate"] == round(sum(s < 0 for s in shifts) / len(shifts), 4)
    assert by_name["Rosy"]["ci_low"] <= by_name["Rosy"]["mean_shift"] <= by_name["Rosy"]["ci_high"]
    assert summary["shown"]["n"] == n
    assert summary["blind"] == {"n": 0, "agreement": None, "ci_low": None, "ci_high": None}


def test_summary_is_for_leads_of_the_team_and_admins(client: TestClient, make_user: UserFactory,
                                                     emea_csm) -> None:
    _, lead = make_user(Role.LEAD, "emea")
    _, admin = make_user(Role.ADMIN, None)
    empty = client.get("/v1/audit/summary", headers=lead).json()
    assert empty["n"] == 0 and empty["agreement"] is None and empty["cohen_kappa"] is None
    assert client.get("/v1/audit/summary", headers=emea_csm[1]).status_code == 403
    assert client.get("/v1/audit/summary?team=americas", headers=lead).status_code == 403
    assert client.get("/v1/audit/summary?team=americas", headers=admin).status_code == 200
    bad = client.get("/v1/audit/summary?since=last-week", headers=lead)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "since"
    assert client.get("/v1/audit/summary?scope=galaxy", headers=lead).status_code == 422
