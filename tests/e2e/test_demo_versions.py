"""`pulse demo` gives a data scientist a second model version at once: after the demo's one command, comparing
it with the active version and putting it in shadow work, with the shipped models, as a reader runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.demo import SECOND_VERSION
from models.artifacts import verify
from tests.e2e.conftest import cli, pulse_env

pytestmark = pytest.mark.e2e


def test_the_demo_compares_and_shadows_its_second_version_out_of_the_box(tmp_path: Path) -> None:
    env = pulse_env(f"sqlite:///{tmp_path / 'demo.db'}")
    cli("demo", "--no-serve", env=env)
    listed = {line.split()[0]: line.split()[2] for line in cli("models", "list", env=env).splitlines()[1:]}
    second = verify(SECOND_VERSION)["version"]
    [active] = [version for version, status in listed.items() if status == "active"]
    assert listed == {active: "active", second: "candidate"}, listed

    # Both read on the demo's confirmed labels: the tone model alone, without the cue head, reads them worse.
    compared = json.loads(cli("models", "compare", active, second, env=env))
    assert compared["n"] >= 50 and compared["champion"]["version"] == active
    assert compared["challenger"]["version"] == second
    assert compared["challenger"]["macro_f1"] < compared["champion"]["macro_f1"]
    assert compared["verdict"] == "challenger worse", compared

    cli("models", "shadow", second, env=env)
    statuses = {line.split()[0]: line.split()[2] for line in cli("models", "list", env=env).splitlines()[1:]}
    assert statuses == {active: "active", second: "shadow"}, statuses
