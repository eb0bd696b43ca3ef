"""The `pulse` command line, run in-process."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlmodel import Session, create_engine, select
from typer.testing import CliRunner

from api.cli import app
from api.config import get_settings
from api.model_versions.models import ModelStatus, ModelVersion
from api.users.models import User
from api.users.service import hash_key

runner = CliRunner()


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PULSE_DATABASE_URL", raising=False)
    get_settings.cache_clear()


def test_users_create_prints_the_key_once_and_stores_its_hash(fresh_database_url: str) -> None:
    assert runner.invoke(app, ["migrate", "--db", fresh_database_url]).exit_code == 0
    result = runner.invoke(app, ["users", "create", "--name", "Priya", "--role", "csm", "--team", "americas",
                                 "--db", fresh_database_url])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("pulse_")
    with Session(create_engine(fresh_database_url)) as session:
        user = session.exec(select(User)).one()
        assert (user.name, user.role, user.team, user.api_key_hash) == ("Priya", "csm", "americas", hash_key(key))
        active = session.exec(select(ModelVersion).where(ModelVersion.status == ModelStatus.ACTIVE)).one()
        assert active.kind == "multilingual-router"
    refused = runner.invoke(app, ["users", "create", "--name", "Lee", "--role", "lead", "--db", fresh_database_url])
    assert refused.exit_code == 2 and "a lead must belong to a team" in refused.output
    wrong = runner.invoke(app, ["users", "create", "--name", "X", "--role", "boss", "--db", fresh_database_url])
    assert wrong.exit_code == 2 and "boss" in wrong.output


def test_users_create_on_an_unmigrated_database_says_what_to_do(tmp_path: Path) -> None:
    result = runner.invoke(app, ["users", "create", "--name", "A", "--role", "admin",
                                 "--db", f"sqlite:///{tmp_path / 'new.db'}"])
    assert result.exit_code == 2 and "run `pulse migrate` first" in result.output


def test_eval_prints_the_contract_json_for_a_directory_and_a_version(labelled_csv: Path, tiny_model: Path,
                                                                     tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "--data", str(labelled_csv), "--model", str(tiny_model), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == {"n", "accuracy", "macro_f1", "per_class", "confusion", "ece", "model_version"}
    assert report["n"] == 48
    db = f"sqlite:///{tmp_path / 'e.db'}"
    assert runner.invoke(app, ["migrate", "--db", db]).exit_code == 0
    shipped = runner.invoke(app, ["eval", "--data", str(labelled_csv), "--db", db])
    assert shipped.exit_code == 0 and json.loads(shipped.stdout)["model_version"] != report["model_version"]
    missing = runner.invoke(app, ["eval", "--data", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2 and "no such file" in missing.output
    unknown = runner.invoke(app, ["eval", "--data", str(labelled_csv), "--model", "v9", "--db", db])
    assert unknown.exit_code == 2 and "'v9' is neither an artifact directory nor a version registered" in unknown.output


def test_train_writes_a_sealed_artifact_and_registers_it(labelled_csv: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 't.db'}"
    assert runner.invoke(app, ["migrate", "--db", db]).exit_code == 0
    out = tmp_path / "candidate"
    result = runner.invoke(app, ["train", "--kind", "baseline", "--data", str(labelled_csv), "--dev",
                                 str(labelled_csv), "--out", str(out), "--register", "--db", db])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (out / "manifest.json").is_file() and summary["dev"]["macro_f1"] > 0.8
    listed = runner.invoke(app, ["models", "list", "--db", db])
    assert summary["version"] in listed.stdout and "candidate" in listed.stdout
    promoted = runner.invoke(app, ["models", "promote", summary["version"], "--db", db])
    assert promoted.exit_code == 0 and "is now active" in promoted.output
    second = tmp_path / "second"
    assert runner.invoke(app, ["train", "--kind", "baseline", "--data", str(labelled_csv), "--out", str(second),
                               "--seed", "5"]).exit_code == 0
    registered = runner.invoke(app, ["models", "register", str(second), "--db", db])
    assert registered.exit_code == 0, registered.output
    shadowed = runner.invoke(app, ["models", "shadow", registered.stdout.strip(), "--db", db])
    assert shadowed.exit_code == 0 and "scores new text in shadow" in shadowed.output
    assert "shadow" in runner.invoke(app, ["models", "list", "--db", db]).stdout
    unknown = runner.invoke(app, ["models", "promote", "nope", "--db", db])
    assert unknown.exit_code == 2 and "model version 'nope' not found" in unknown.output


def test_score_writes_labels_and_reports_bad_input(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text('text\n"We love it, thanks!"\n"Cancel our contract, terrible support."\n')
    target = tmp_path / "out.csv"
    result = runner.invoke(app, ["score", "--input", str(source), "--output", str(target),
                                 "--db", f"sqlite:///{tmp_path / 'none.db'}"])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "none.db").exists()  # no registry to ask: the shipped model, and no stray database
    rows = list(csv.DictReader(target.open()))
    assert [r["label"] for r in rows] == ["Green", "Red"]
    assert set(rows[0]) == {"text", "label", "p_red", "p_yellow", "p_green", "model_version"}
    bad = tmp_path / "bad.csv"
    bad.write_text("body\nx\n")
    refused = runner.invoke(app, ["score", "--input", str(bad), "--output", str(tmp_path / "o2.csv")])
    assert refused.exit_code == 2 and "needs a 'text' column" in refused.output


def test_train_fine_tunes_a_transformer_by_default(labelled_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "minilm"
    result = runner.invoke(app, ["train", "--data", str(labelled_csv), "--out", str(out), "--epochs", "1"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["version"].startswith("transformer-lora-")
    assert "calibration_serving" in summary
    compared = runner.invoke(app, ["eval", "--data", str(labelled_csv), "--model", str(out), "--model",
                                   str(Path("models/artifacts/baseline-tfidf").resolve())])
    assert compared.exit_code == 0, compared.output
    first, second = (json.loads(line) for line in compared.stdout.strip().splitlines())
    assert first["model_version"] == summary["version"] and second["model_version"].startswith("tfidf-logreg-")


def test_webhooks_are_added_listed_and_removed_by_the_cli(fresh_database_url: str) -> None:
    db = fresh_database_url
    added = runner.invoke(app, ["webhooks", "add", "https://crm.example.com/pulse", "--events", "pulse.red",
                                "--db", db])
    assert added.exit_code == 0, added.output
    assert added.stdout.strip().startswith("whsec_")  # the secret, printed once, alone on stdout
    refused = runner.invoke(app, ["webhooks", "add", "ftp://crm.example.com", "--db", db])
    assert refused.exit_code == 2 and "http or https URL" in refused.output
    unknown = runner.invoke(app, ["webhooks", "add", "https://x.example", "--events", "pulse.blue", "--db", db])
    assert unknown.exit_code == 2 and "pulse.blue" in unknown.output
    listed = runner.invoke(app, ["webhooks", "list", "--db", db])
    assert "active" in listed.stdout and "pulse.red" in listed.stdout and "whsec_" not in listed.stdout
    assert runner.invoke(app, ["webhooks", "remove", "1", "--db", db]).exit_code == 0
    assert "off" in runner.invoke(app, ["webhooks", "list", "--db", db]).stdout
    missing = runner.invoke(app, ["webhooks", "remove", "9", "--db", db])
    assert missing.exit_code == 2 and "webhook 9 not found" in missing.output
    bad_kind = runner.invoke(app, ["worker", "--once", "--kinds", "laundry", "--db", db])
    assert bad_kind.exit_code == 2 and "--kinds takes webhook, rollup, score" in bad_kind.output


@pytest.mark.parametrize("args", [["users", "disable"], ["users", "rotate-key"], ["webhooks", "remove"],
                                  ["erase", "--account"]])
def test_an_id_beyond_the_key_columns_is_refused_by_the_command(fresh_database_url: str, args: list[str]) -> None:
    result = runner.invoke(app, [*args, str(2**31), "--db", fresh_database_url])
    assert result.exit_code == 2 and "2147483647" in result.output, result.output


def test_a_command_on_a_database_without_the_schema_says_to_migrate(fresh_database_url: str) -> None:
    for command in (["models", "list"], ["models", "adapt"]):
        result = CliRunner().invoke(app, [*command, "--db", fresh_database_url])
        assert result.exit_code == 2, result.output
        assert "has no Pulse schema yet: run `pulse migrate` first" in " ".join(result.output.split())
        assert "Traceback" not in result.output
