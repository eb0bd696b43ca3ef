"""Every benchmark and experiment entry point runs, on tiny inputs, so none can rot unseen again.

`pulse bench` (tests/api/test_bench.py), `pulse bench-ingest` (tests/api/test_ingest.py) and the leave-one-out
experiment (tests/cli/test_experiment.py) have their own runs; here are the rest: `pulse bench-audit`, the
coverage simulation, the readers of vendors' reference material, the start-up timing and the load run. Each
checks what the entry point prints, never how fast it was.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.lab.offline import reference_helpdesk, reference_replies
from tests.conftest import require_postgres_installed

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "ingest" / "helpdesk"


def module(*args: str, timeout: float = 300) -> str:
    """Run `python -m ...` from the project root; its standard output."""
    done = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_bench_audit_generates_decisions_and_times_the_summary(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["bench-audit", "--decisions", "1000", "--path", str(tmp_path / "audit.db")])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["decisions"] == 1000, figures


def test_the_coverage_simulation_prints_every_setting() -> None:
    out = module("api.lab.offline.coverage", "--repeats", "40")
    assert "over 20 settings x 40 simulated audits" in out, out


def test_the_helpdesk_reference_reader_counts_a_vendor_export(tmp_path: Path) -> None:
    (tmp_path / "zendesk").mkdir()
    shutil.copy(FIXTURES / "zendesk.json", tmp_path / "zendesk" / "incremental-tickets.json")
    shutil.copy(FIXTURES / "zendesk-export" / "audits.json", tmp_path / "zendesk" / "ticket-audits.json")
    summary = reference_helpdesk.summarise(tmp_path, "zendesk")
    # Ticket 701's audits come without their ticket: they are read all the same (two of each), not dropped.
    assert summary["vendor"] == "zendesk" and summary["customer"] == 4 and summary["ours"] == 4, summary


def test_the_replies_reference_scorer_scores_fixtures_in_its_shape(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "reply.txt").write_text("Thanks, that works for us.\n\nOn Mon, Jan 5, 2026 at 9:00 AM Ana "
                                                 "<ana@example.com> wrote:\n> Can you confirm the date?\n")
    rows = [{"file": "mine/reply.txt", "input": "the file as text", "compare": "whitespace-folded",
             "expected_reply": "Thanks, that works for us."},
            {"file": "mine/reply.txt", "input": "the file as text", "compare": "patterns",
             "reply_must_not_contain": ["Can you confirm the date?"]}]
    (tmp_path / "expected.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert reference_replies.score(tmp_path) == {"mine": "2/2", "all": "2/2", "share": 1.0}


def test_the_start_up_timing_starts_a_server_and_reports_it() -> None:
    line = json.loads(module("tests.load.startup", "--workers", "1", "--repeat", "1").strip().splitlines()[-1])
    assert line["workers"] == 1 and len(line["runs_s"]) == 1 and line["median_s"] > 0, line


def test_the_load_run_seeds_postgresql_serves_and_reports_every_endpoint(require_postgres: None) -> None:
    report = json.loads(module("tests.load.run", "--users", "2", "--minutes", "0.1", "--workers", "1",
                               "--messages", "16").strip().splitlines()[-1])
    assert report["total"]["requests"] > 0 and report["total"]["errors"] == 0, report
    assert "GET /v1/suggestions" in report["endpoints"], report


@pytest.fixture
def require_postgres() -> None:
    """The load run starts its own PostgreSQL; like the rest of the suite, it is skipped only where allowed."""
    require_postgres_installed()
