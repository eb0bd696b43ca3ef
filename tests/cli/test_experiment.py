"""`pulse experiment-leave-one-out` on data written for the test: an account with a vocabulary of its own."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from api.config import get_settings
from tests.e2e.test_retraining import PORTS, SAYS


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text", "label", "account", "created_at"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_confirmed_labels_of_a_left_out_account_improve_its_later_messages(labelled_csv: Path, tmp_path: Path,
                                                                           monkeypatch) -> None:
    monkeypatch.delenv("PULSE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    with labelled_csv.open() as handle:
        base = [{"id": f"b{n}", "text": r["text"], "label": r["label"], "account": "Acme", "created_at": "2026-01-01"}
                for n, r in enumerate(csv.DictReader(handle))]
    shipping = [{"id": f"s{n}", "text": SAYS[label].format(port=port), "label": label, "account": "Fjord",
                 "created_at": f"2026-02-{1 + n // 10:02d} {n % 10:02d}:00"}
                for n, (port, label) in enumerate((p, lab) for p in PORTS for lab in ("Red", "Green", "Yellow"))]
    train = write(tmp_path / "train.csv", base + shipping[:60])
    dev = write(tmp_path / "dev.csv", base[:12] + shipping[60:])
    result = CliRunner().invoke(app, ["experiment-leave-one-out", "--data", str(train), "--dev", str(dev),
                                      "--account", "Fjord", "--confirmed", "30", "--repeat", "2",
                                      "--dir", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["confirmed"] == 30 and figures["repeat"] == 2 and figures["unseen_messages"] == 45
    assert figures["macro_f1_with"] > figures["macro_f1_without"] and figures["gain_ci"][0] > 0
    refused = CliRunner().invoke(app, ["experiment-leave-one-out", "--data", str(train), "--dev", str(dev),
                                       "--account", "Nobody", "--dir", str(tmp_path / "run")])
    assert refused.exit_code == 2 and "'Nobody' has 0 training messages" in refused.output
    get_settings.cache_clear()
