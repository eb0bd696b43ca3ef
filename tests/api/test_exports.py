"""The export of confirmed labels: provenance, current decisions only, near duplicates, safe CSV."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app
from api.exports.service import text_key
from api.users.models import Role
from pipelines.cells import safe_cell


def test_text_key_collapses_near_duplicates_only() -> None:
    assert text_key("The export FAILED again!!  See https://x.example/1") == text_key(
        "the export failed again. see http://y.example/22")
    assert text_key("Order 1234 is late") == text_key("order 98 is late")
    assert text_key("The export failed again") != text_key("The export works again")


def test_csv_cells_cannot_run_as_formulas() -> None:
    assert [safe_cell(v) for v in ["=1+1", "+cmd", "-2", "@SUM(A1)", "\tx", "fine", None, 3]] == [
        "'=1+1", "'+cmd", "'-2", "'@SUM(A1)", "'\tx", "fine", "", "3"]


def test_export_has_one_row_per_confirmed_text_with_provenance(client: TestClient, make_user, make_account,
                                                              post_message, emea_csm, database_url: str,
                                                              tmp_path: Path) -> None:
    csm, headers = emea_csm
    _, scientist = make_user(Role.DATA_SCIENTIST, None, "Sam")
    account = make_account()
    first = post_message(account["id"], "=HYPERLINK(\"http://evil.example\") the export failed again!")
    copy = post_message(account["id"], "=hyperlink('http://evil.example')  The export failed AGAIN")
    other = post_message(account["id"], "Thanks, the dashboards are great.")
    post_message(account["id"], "Still waiting for the invoice.")  # never decided: not exported

    def decide(posted: dict[str, Any], label: str) -> dict[str, Any]:
        body = {"label": label} | ({} if label == posted["suggestion"]["label"] else {"override_reason": "other"})
        response = client.post(f"/v1/suggestions/{posted['suggestion']['id']}/decisions", headers=headers, json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    decide(first, "Yellow")
    decide(first, "Red")  # a change of mind: only the current decision counts
    decide(copy, "Red")
    final = decide(other, "Green")

    refused = client.get("/v1/export/labels", headers=headers)
    assert refused.status_code == 403
    rows = [json.loads(line) for line in client.get("/v1/export/labels", headers=scientist).text.splitlines()]
    assert [r["label"] for r in rows] == ["Red", "Green"]
    duplicate, green = rows
    assert duplicate["interaction_id"] == copy["interaction"]["id"] and duplicate["duplicates"] == 1
    assert duplicate["duplicates_disagree"] is False
    assert green == green | {"decision_id": final["id"], "suggestion_id": other["suggestion"]["id"],
                             "decided_by": csm.id, "decided_by_name": "Chloé Martin", "blind": False,
                             "accepted": green["suggested_label"] == "Green", "revision": 1, "team": "emea",
                             "model_version": other["suggestion"]["model_version"]}
    assert {"occurred_at", "suggested_at", "decided_at"} <= set(green)

    exported = client.get("/v1/export/labels?format=csv", headers=scientist)
    assert exported.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(exported.text)))
    assert table[0]["text"].startswith("'=hyperlink") and table[1]["label"] == "Green"

    out = tmp_path / "labels.csv"
    result = CliRunner().invoke(app, ["export-labels", "--out", str(out), "--format", "csv", "--db", database_url])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().decode() == exported.text and "2 confirmed label(s)" in result.output
