"""Champion against challenger on confirmed labels: the comparison, the promotion gate, and rollback."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from api.cli import app
from api.lab.compare import MIN_LABELS
from api.model_versions import service as model_versions
from api.users.models import Role
from models.metrics import macro_f1
from tests.api.test_shadow import MESSAGES
from training.datasets import read_csv
from training.train import train_baseline

TEAMS = ["finance", "billing", "support", "sales", "legal", "design", "data", "ops", "security", "marketing",
         "growth", "platform", "mobile", "web", "research", "hr", "payroll", "audit", "risk", "compliance",
         "logistics", "warehouse", "fleet", "retail", "partner", "training", "quality", "procurement", "it", "admin"]


@pytest.fixture
def contrarian(tmp_path: Path, labelled_csv: Path) -> Path:
    """A version trained with Red and Green swapped: it says the opposite of the champion on clear texts."""
    swapped = tmp_path / "swapped.csv"
    with labelled_csv.open() as source, swapped.open("w", newline="") as target:
        writer = csv.writer(target)
        for n, row in enumerate(csv.reader(source)):
            writer.writerow(row if n == 0 else [row[0], {"Red": "Green", "Green": "Red"}.get(row[1], row[1])])
    out = tmp_path / "contrarian"
    train_baseline(read_csv(swapped), out)
    return out


def test_macro_f1_counts_every_colour() -> None:
    truth = np.array([0, 0, 1, 2])
    assert macro_f1(truth, truth) == 1.0
    assert round(macro_f1(truth, np.array([0, 0, 0, 0])), 4) == round((2 * 2 / (2 * 2 + 2)) / 3, 4)


def test_a_worse_challenger_is_refused_unless_forced_and_rollback_restores(
        client: TestClient, engine: Engine, make_user, make_account, post_message, emea_csm, contrarian: Path,
        database_url: str) -> None:
    headers = emea_csm[1]
    _, scientist = make_user(Role.DATA_SCIENTIST, None, "Sam")
    with Session(engine) as session:
        champion = model_versions.get_active(session=session)
        assert champion is not None
        champion_version = champion.version
        challenger = model_versions.register(session=session, directory=contrarian).version
        session.commit()  # records flush; whoever calls them commits

    # Too few confirmed labels: the comparison says so and does not gate.
    early = client.get(f"/v1/models/compare?a={champion_version}&b={challenger}", headers=scientist).json()
    assert early["n"] == 0 and early["verdict"].startswith("not compared")

    # People confirm the opposite of what the champion says on every text, so the champion scores 0.
    account = make_account()
    for n in range(MIN_LABELS):
        posted = post_message(account["id"], f"{MESSAGES[n % len(MESSAGES)]} Noted by our {TEAMS[n]} team.",
                              external_id=f"m-{n}")
        said = posted["suggestion"]["label"]
        chosen = {"Red": "Green", "Green": "Red", "Yellow": "Red"}[said]
        response = client.post(f"/v1/suggestions/{posted['suggestion']['id']}/decisions", headers=headers,
                               json={"label": chosen, "override_reason": "misread_tone"})
        assert response.status_code == 201
    compared = client.get(f"/v1/models/compare?a={champion_version}&b={challenger}", headers=scientist).json()
    assert compared["n"] == MIN_LABELS and compared["champion"]["agreement"] == 0.0
    assert set(compared["challenger"]) >= {"macro_f1", "macro_f1_ci", "agreement_ci", "ece"}
    low, high = compared["macro_f1_difference"]["ci"]
    assert 0 < low <= compared["macro_f1_difference"]["value"] <= high
    assert compared["verdict"] == "challenger better"

    # Promote the challenger, then try the champion back: it is worse now, so it is refused.
    assert client.post(f"/v1/models/{challenger}/promote", headers=scientist).status_code == 200
    refused = client.post(f"/v1/models/{champion_version}/promote", headers=scientist)
    assert refused.status_code == 409 and "promote with force" in refused.json()["detail"]
    assert client.get("/healthz").json()["model_version"] == challenger
    # Rollback is the way back and is not gated.
    back = client.post("/v1/models/rollback", headers=scientist)
    assert back.status_code == 200 and back.json()["version"] == champion_version
    new = post_message(account["id"], "A brand new message after the rollback.")
    assert new["suggestion"]["model_version"] == champion_version
    forced = client.post(f"/v1/models/{challenger}/promote?force=true", headers=scientist)
    assert forced.status_code == 200 and forced.json()["status"] == "active"
    assert client.post("/v1/models/rollback", headers=headers).status_code == 403

    runner = CliRunner()
    result = runner.invoke(app, ["models", "compare", champion_version, challenger, "--db", database_url])
    assert result.exit_code == 0, result.output
    assert '"verdict"' in result.stdout
    rolled = runner.invoke(app, ["models", "rollback", "--db", database_url])
    assert rolled.exit_code == 0 and f"{champion_version} is active again" in rolled.output
    promoted = runner.invoke(app, ["models", "promote", challenger, "--db", database_url])
    assert promoted.exit_code == 0 and "is now active" in promoted.output
    gated = runner.invoke(app, ["models", "promote", champion_version, "--db", database_url])
    assert gated.exit_code == 2 and "promote with force" in gated.output
