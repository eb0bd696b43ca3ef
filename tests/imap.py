"""The tests' Dovecot: a throwaway server (api.lab.offline.dovecot) for the whole run, or a clear skip."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from api.lab.offline.dovecot import Dovecot, free_port, installed, throwaway_server

__all__ = ["REQUIRE_DOVECOT", "Dovecot", "dovecot_fixture", "free_port", "installed", "throwaway_server"]


REQUIRE_DOVECOT = os.environ.get("PULSE_TEST_REQUIRE_DOVECOT") == "1"


@pytest.fixture(scope="session", name="dovecot")
def dovecot_fixture() -> Iterator[Dovecot]:
    """One Dovecot for the run; each test adds its own user (so its own mailbox)."""
    if not installed():
        if REQUIRE_DOVECOT:
            pytest.fail("PULSE_TEST_REQUIRE_DOVECOT=1 but Dovecot is not installed (apt-get install dovecot-imapd)")
        pytest.skip("Dovecot is not installed (apt-get install -y dovecot-imapd)")
    with throwaway_server() as server:
        yield server
