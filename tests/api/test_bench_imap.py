"""`pulse bench-ingest --imap` runs for real: a local Dovecot filled, read as a source, then read again after more
mail arrives (the figures themselves are the benchmark's business)."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.config import Settings
from api.lab.offline import bench_imap
from tests import imap


def test_the_imap_benchmark_reads_a_full_mailbox_then_the_new_mail(tiny_model: Path, tmp_path: Path) -> None:
    if not imap.installed():
        if imap.REQUIRE_DOVECOT:
            pytest.fail("PULSE_TEST_REQUIRE_DOVECOT=1 but Dovecot is not installed (apt-get install dovecot-imapd)")
        pytest.skip("Dovecot is not installed (apt-get install -y dovecot-imapd)")
    settings = Settings(model_dir=tiny_model, source_step_messages=16)
    read: list[int] = []
    figures = bench_imap.run(tmp_path, 40, settings, incremental=5, accounts=10, progress=read.append)
    first, later = figures["first_sync"], figures["incremental_sync"]
    assert (first["read"], first["stored"], first["steps"]) == (40, 40, 3)
    assert (later["read"], later["stored"], later["steps"]) == (5, 5, 1)
    assert sum(read) == 45
    for figure in (first, later):
        assert set(figure["stage_share"]) == {"fetch", "parse", "match", "clean", "score", "store", "other"}
        assert sum(figure["stage_share"].values()) == pytest.approx(1.0, abs=0.01)
        assert figure["messages_per_s"] > 0
