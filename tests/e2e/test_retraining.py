"""The retraining loop through the public API and CLI: confirm, train from the database, shadow, compare,
promote, and roll back.

The live model was trained on Pulse's demo messages only; one account (a shipping company) writes in
a vocabulary it has never seen. Its CSM confirms labels on the account's earlier messages; the
candidate trained with them must beat the live version on the account's later messages.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from api.cli import app
from api.config import Settings, get_settings
from api.jobs.models import JobKind
from api.users.models import Role
from api.worker import Worker
from tests.api.test_webhooks import drain

pytestmark = pytest.mark.e2e
PORTS = ["Rotterdam", "Antwerp", "Hamburg", "Valencia", "Piraeus", "Gdansk", "Felixstowe", "Algeciras", "Genoa",
         "Marseille", "Bremerhaven", "Gothenburg", "Aarhus", "Klaipeda", "Riga", "Tallinn", "Constanta", "Koper",
         "Trieste", "Sines", "Bilbao", "Dunkirk", "Zeebrugge", "Le Havre", "Southampton"]
SAYS = {"Red": "The {port} demurrage charges doubled again and the berth allocation failed our reefers",
        "Green": "The {port} voyage went smoothly and the hull telemetry on the bunkering was spot on",
        "Yellow": "The {port} manifest reconciliation is pending until the harbour master signs the ledger"}


def messages() -> list[tuple[str, str]]:
    return [(label, SAYS[label].format(port=port)) for port in PORTS for label in ("Red", "Green", "Yellow")]


def test_confirmed_labels_train_a_better_version_that_is_promoted_and_rolled_back(
        client: TestClient, engine: Engine, settings: Settings, make_user, make_account, emea_csm,
        labelled_csv: Path, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PULSE_DATABASE_URL", raising=False)
    monkeypatch.setenv("PULSE_MODEL_DIR", str(settings.model_dir))
    get_settings.cache_clear()
    csm = emea_csm[1]
    _, scientist = make_user(Role.DATA_SCIENTIST, None, "Sam")
    live = client.get("/healthz").json()["model_version"]
    account = make_account(name="Fjord Shipping")
    # Messages written over the past months (occurred_at may not lie in the future).
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=150)

    def post(n: int, text: str) -> dict[str, Any]:
        response = client.post("/v1/interactions", headers=csm, json={
            "account_id": account["id"], "kind": "email", "body": text, "external_id": f"fjord-{n}",
            "occurred_at": (start + timedelta(days=n)).isoformat()})
        assert response.status_code in (200, 201), response.text
        return dict(response.json())

    # The CSM confirms every message of the account, in the order they came.
    for n, (label, text) in enumerate(messages()):
        suggestion = post(n, text)["suggestion"]
        body = {"label": label} | ({} if suggestion["label"] == label else {"override_reason": "missed_context"})
        assert client.post(f"/v1/suggestions/{suggestion['id']}/decisions", headers=csm, json=body).status_code == 201

    # A candidate from the base data plus the confirmed labels of the earlier 60%; the later 40% never train.
    runner = CliRunner()
    out = tmp_path / "candidate"
    trained = runner.invoke(app, ["train", "--kind", "baseline", "--data", str(labelled_csv), "--from-db",
                                  "--eval-share", "0.4", "--out", str(out), "--db", database_url])
    assert trained.exit_code == 0, trained.output
    summary = json.loads(trained.stdout.strip().splitlines()[-1])
    candidate, split = summary["version"], summary["confirmed_labels"]
    assert split["train"] + split["evaluate"] == len(messages()) and split["evaluate"] == 30
    assert split["evaluate_from"] == (start + timedelta(days=45)).isoformat()
    registered = {m["version"]: m for m in client.get("/v1/models", headers=scientist).json()["data"]}
    assert registered[candidate]["status"] == "candidate"
    assert registered[candidate]["provenance"]["confirmed_labels"]["train_sha256"] == split["train_sha256"]

    # In shadow it scores new text silently beside the live version.
    assert client.post(f"/v1/models/{candidate}/shadow", headers=scientist).status_code == 200
    shadowed = post(100, SAYS["Red"].format(port="Lisbon"))
    drain(Worker(engine, settings, kinds=[JobKind.SCORE]), engine)
    assert shadowed["suggestion"]["model_version"] == live
    body = {"label": "Red"} | ({} if shadowed["suggestion"]["label"] == "Red" else {"override_reason": "other"})
    assert client.post(f"/v1/suggestions/{shadowed['suggestion']['id']}/decisions", headers=csm,
                       json=body).status_code == 201
    side_by_side = client.get(f"/v1/audit/shadow?version={candidate}", headers=scientist).json()
    assert side_by_side["all"]["n"] == 1 and side_by_side["all"]["shadow_agreement"] == 1.0

    # Compared on the account's later messages (30 of the latest 31 confirmed labels), the candidate wins.
    compared = runner.invoke(app, ["models", "compare", live, candidate, "--limit", "31", "--db", database_url])
    assert compared.exit_code == 0, compared.output
    result = json.loads(compared.stdout)
    assert result["n"] == 31 and result["verdict"] == "challenger better", result
    assert result["challenger"]["macro_f1"] > result["champion"]["macro_f1"]

    # Promoted, new suggestions name it; rolled back, the old version is live again.
    assert client.post(f"/v1/models/{candidate}/promote", headers=scientist).status_code == 200
    assert post(101, SAYS["Green"].format(port="Porto"))["suggestion"]["model_version"] == candidate
    rolled = runner.invoke(app, ["models", "rollback", "--db", database_url])
    assert rolled.exit_code == 0, rolled.output
    assert post(102, SAYS["Yellow"].format(port="Cadiz"))["suggestion"]["model_version"] == live
    get_settings.cache_clear()
