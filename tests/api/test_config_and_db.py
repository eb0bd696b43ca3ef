"""Settings from the environment, and the SQLite durability pragmas."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from api.config import Settings
from api.db import make_engine
from models.labels import Label
from models.options import ServingOptions


def test_sqlite_runs_with_wal_full_sync_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_reasons_and_database_come_from_pulse_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULSE_DATABASE_URL", "postgresql://pulse:secret@db.internal/pulse")
    monkeypatch.setenv("PULSE_SENTIMENT_REASONS",
                       '{"Red": ["exec_sponsor_left"], "Yellow": ["quiet"], "Green": ["advocate"]}')
    monkeypatch.setenv("PULSE_OVERRIDE_REASONS", '["sarcasm"]')
    settings = Settings()
    assert settings.database_url == "postgresql+psycopg://pulse:secret@db.internal/pulse"
    assert settings.sentiment_reasons[Label.RED] == ["exec_sponsor_left"]
    assert settings.override_reasons == ["sarcasm"]
    monkeypatch.setenv("PULSE_SENTIMENT_REASONS", '{"Red": ["x"], "Yellow": [], "Green": ["y"]}')
    with pytest.raises(ValueError, match="non-empty list for Yellow"):
        Settings()


def test_serving_options_are_built_once_from_the_environment_at_the_edge(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")  # oneDNN's own variable, read here beside Pulse's
    monkeypatch.setenv("PULSE_SERVING_PRECISION", "f32")
    monkeypatch.setenv("PULSE_CACHE_DIR", "/tmp/pulse-graphs")
    assert Settings().serving() == ServingOptions(precision="f32", cache_dir=Path("/tmp/pulse-graphs"), isa_cap="avx2")
    monkeypatch.setenv("PULSE_SERVING_PRECISION", "fp8")
    with pytest.raises(ValidationError, match="serving_precision"):
        Settings()
