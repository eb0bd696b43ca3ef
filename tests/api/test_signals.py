"""Risk signals: recorded per account, shown beside the pulse, compared with it in the audit, imported from CSV."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app
from api.users.models import Role, User
from pipelines.ingest import records
from tests.api.test_web import sign_in
from tests.conftest import UserFactory

NOW = datetime.now(UTC).replace(microsecond=0)


def signal(kind: str, value: float, days_ago: int = 1, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "value": value, "source": "salesforce",
            "observed_at": (NOW - timedelta(days=days_ago)).isoformat(), **extra}


def set_pulse(client: TestClient, headers: dict[str, str], account_id: int, post_message: Callable[..., Any],
              label: str) -> None:
    post_message(account_id, "Quarterly review notes: mixed feelings about the roadmap.")
    rolled = client.post(f"/v1/accounts/{account_id}/suggestions", headers=headers).json()
    body: dict[str, Any] = {"label": label}
    if rolled["label"] != label:
        body["override_reason"] = "missed_context"
    assert client.post(f"/v1/suggestions/{rolled['id']}/decisions", headers=headers, json=body).status_code == 201


def test_signals_sit_beside_the_pulse_and_the_audit_shows_where_they_disagree(
        client: TestClient, emea_csm: tuple[User, dict[str, str]], make_user: UserFactory,
        make_account: Callable[..., dict[str, Any]], post_message: Callable[..., Any]) -> None:
    headers = emea_csm[1]
    rosy, grim, calm = (make_account(name=n) for n in ("Rosy", "Grim", "Calm"))
    for account_id, body in [(rosy["id"], signal("open_risk_tasks", 3)), (rosy["id"], signal("nps", 40)),
                             (grim["id"], signal("usage_trend", 12.5)), (calm["id"], signal("usage_trend", -8)),
                             (calm["id"], signal("usage_trend", 4, days_ago=0))]:  # the newer one counts
        created = client.post(f"/v1/accounts/{account_id}/signals", headers=headers, json=body)
        assert created.status_code == 201, created.text
    set_pulse(client, headers, rosy["id"], post_message, "Green")
    set_pulse(client, headers, grim["id"], post_message, "Red")
    set_pulse(client, headers, calm["id"], post_message, "Green")
    listed = {a["name"]: a for a in client.get("/v1/accounts", headers=headers).json()["data"]}
    assert listed["Rosy"]["risk_signals"] == 1 and len(listed["Rosy"]["signals"]) == 2
    assert [s["value"] for s in listed["Calm"]["signals"]] == [4.0] and listed["Calm"]["risk_signals"] == 0
    _, lead = make_user(Role.LEAD, "emea")
    audit = client.get("/v1/audit/summary", headers=lead).json()["signal_disagreements"]
    assert [(d["account"], d["kind"]) for d in audit] == [("Rosy", "green_with_risk"), ("Grim", "red_without_risk")]
    assert audit[0]["risk_signals"] == ["open_risk_tasks=3 (salesforce)"]
    sign_in(client, lead)
    page = client.get("/app/audit").text
    assert "Where the pulse and the risk signals disagree" in page and "open_risk_tasks=3 (salesforce)" in page
    account_page = client.get(f"/app/accounts/{rosy['id']}").text
    assert "The pulse is Green while 1 signal(s) read as risk" in account_page


def test_bad_signals_are_refused_naming_the_field(client: TestClient, emea_csm: tuple[User, dict[str, str]],
                                                  make_user: UserFactory,
                                                  make_account: Callable[..., dict[str, Any]]) -> None:
    account = make_account()
    url, headers = f"/v1/accounts/{account['id']}/signals", emea_csm[1]
    for body, field in [({**signal("nps", 10), "observed_at": "2026-13-01T00:00:00Z"}, "observed_at"),
                        (signal("churn_score", 0.7), "at_risk is required for kind 'churn_score'"),
                        (signal("nps", 10, days_ago=-30), "is in the future"),
                        ({**signal("nps", 10), "value": "lots"}, "value"),
                        ({**signal("nps", 10), "kind": "NPS Score"}, "kind")]:
        refused = client.post(url, headers=headers, json=body)
        assert refused.status_code == 422 and field in refused.text, (body, refused.text)
    assert client.post(url, headers=headers, json=signal("churn_score", 0.7, at_risk=True)).status_code == 201
    _, rival = make_user(Role.CSM, "americas")
    assert client.post(url, headers=rival, json=signal("nps", 1)).status_code == 404
    _, scientist = make_user(Role.DATA_SCIENTIST, None)
    assert client.get(url, headers=scientist).status_code == 403


def test_signals_import_from_csv_reports_bad_rows_and_stores_the_rest(
        client: TestClient, make_user: UserFactory, emea_csm: tuple[User, dict[str, str]],
        make_account: Callable[..., dict[str, Any]],
        settings: Any, tmp_path: Path) -> None:
    make_account(headers=make_user(Role.LEAD, "emea")[1], name="Northwind", external_id="crm-1")
    export = tmp_path / "signals.csv"
    export.write_text("account,kind,value,source,observed_at,at_risk\n"
                      f"crm-1,open_risk_tasks,2,gainsight,{NOW.isoformat()},\n"
                      f"crm-9,nps,10,survey,{NOW.isoformat()},\n"
                      "crm-1,nps,10,survey,yesterday,\n"
                      f"crm-1,health,55,gainsight,{NOW.isoformat()},false\n")
    runner = CliRunner()
    dry = runner.invoke(app, ["signals", "import", str(export), "--dry-run", "--db", settings.database_url])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout.strip().splitlines()[-1])["would_create"] == 2
    done = runner.invoke(app, ["signals", "import", str(export), "--db", settings.database_url])
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert (report["read"], report["created"], report["errors"]) == (4, 2, 2)
    assert [e["line"] for e in report["errors_shown"]] == [3, 4] and "matches no account" in done.output
    missing = runner.invoke(app, ["signals", "import", str(tmp_path / "nope.csv"), "--db", settings.database_url])
    assert missing.exit_code == 2 and "no such file" in missing.output
    northwind = next(a for a in client.get("/v1/accounts", headers=emea_csm[1]).json()["data"])
    assert {s["kind"]: s["at_risk"] for s in northwind["signals"]} == {"open_risk_tasks": True, "health": False}


def test_the_honesty_view_puts_each_book_beside_peers_and_the_model(
        client: TestClient, emea_csm: tuple[User, dict[str, str]], make_user: UserFactory,
        make_account: Callable[..., dict[str, Any]], post_message: Callable[..., Any]) -> None:
    rosy_csm, rosy = emea_csm
    _, stern = make_user(Role.CSM, "emea")
    first, second, third = (make_account(name=n) for n in ("A", "B", "C"))
    client.post(f"/v1/accounts/{first['id']}/signals", headers=rosy, json=signal("open_risk_tasks", 2))
    set_pulse(client, rosy, first["id"], post_message, "Green")
    set_pulse(client, rosy, second["id"], post_message, "Green")
    set_pulse(client, stern, third["id"], post_message, "Red")
    _, lead = make_user(Role.LEAD, "emea")
    rows = {r["name"]: r for r in client.get("/v1/audit/summary", headers=lead).json()["honesty"]}
    mine = rows[rosy_csm.name]
    assert mine["accounts"] == 2 and mine["pulses"]["Green"] == 1.0 and mine["peers"]["Red"] == 1.0
    assert mine["model_accounts"] == 2 and abs(sum(mine["model"].values()) - 1) < 1e-6
    assert mine["green_with_risk"] == 1
    listed = {a["name"]: a for a in client.get("/v1/accounts", headers=rosy).json()["data"]}
    assert mine["greener_than_model"] == sum(listed[n]["latest_suggestion"]["label"] != "Green" for n in ("A", "B"))
    sign_in(client, lead)
    assert "Each book beside its peers and the model" in client.get("/app/audit").text


def test_signals_import_reports_a_nul_or_a_huge_cell_by_line_and_imports_the_rest(
        client: TestClient, make_user: UserFactory, emea_csm: tuple[User, dict[str, str]],
        make_account: Callable[..., dict[str, Any]],
        settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The API refuses a NUL (no PostgreSQL text holds one) and the csv module stops at a cell over 131,072
    # characters: each must end only its own row, reported by line like the API's error.
    make_account(headers=make_user(Role.LEAD, "emea")[1], name="Northwind", external_id="crm-1")
    export = tmp_path / "signals.csv"
    with export.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["account", "kind", "value", "source", "observed_at", "at_risk"])
        writer.writerows([
            ["crm-1", "open_risk_tasks", "2", "gainsight", NOW.isoformat(), ""],
            ["crm-1", "nps", "10", "sur\x00vey", NOW.isoformat(), ""],
            ["crm-1", "nps", "10", "s" * 131_073, NOW.isoformat(), ""],
            ["crm-\x00" + "1" * 200_000, "nps", "10", "survey", NOW.isoformat(), ""],
            ["crm-" + "9" * 200_000, "nps", "10", "survey", NOW.isoformat(), ""],
            ["crm-1", "health", "55", "gainsight", NOW.isoformat(), "false"]])
    runner = CliRunner()
    done = runner.invoke(app, ["signals", "import", str(export), "--db", settings.database_url])
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert (report["read"], report["created"], report["errors"]) == (6, 2, 4)
    errors = {e["line"]: e["error"] for e in report["errors_shown"]}
    assert errors[3] == "source holds a NUL character or a lone surrogate, which no text can store"
    assert errors[4] == "source: String should have at most 100 characters"
    assert errors[5] == "account holds a NUL character or a lone surrogate, which no text can store"
    assert errors[6].startswith("account 'crm-999") and errors[6].endswith("…") and len(errors[6]) == 300
    assert f"{export}:3: source holds a NUL" in " ".join(done.stderr.split())
    northwind = next(a for a in client.get("/v1/accounts", headers=emea_csm[1]).json()["data"])
    assert {s["kind"]: s["source"] for s in northwind["signals"]} == {"open_risk_tasks": "gainsight",
                                                                      "health": "gainsight"}

    # A cell past what the reader takes at all is its row's error too, and the row after it is read.
    monkeypatch.setattr(records, "MAX_CELL", 1000)
    export.write_text(f"account,kind,value,source,observed_at\ncrm-1,nps,10,{'s' * 2000},{NOW.isoformat()}\n"
                      f"crm-1,usage_trend,-5,gainsight,{NOW.isoformat()}\n")
    done = runner.invoke(app, ["signals", "import", str(export), "--db", settings.database_url])
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert (report["read"], report["created"], report["errors"]) == (2, 1, 1), done.output
    assert report["errors_shown"] == [{"line": 2, "error": "a cell is longer than 1,000 characters"}]
    # An error quoting terminal markup is printed as written; it once ended the run before its report.
    export.write_text(f"account,kind,value,source,observed_at\n[/]crm-[bold]x,nps,10,survey,{NOW.isoformat()}\n")
    done = runner.invoke(app, ["signals", "import", str(export), "--db", settings.database_url])
    assert done.exit_code == 0, done.output
    assert "[/]crm-[bold]x" in done.stderr and json.loads(done.stdout.strip().splitlines()[-1])["errors"] == 1
