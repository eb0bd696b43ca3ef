"""The `pulse` command line: one entry point for every job, in command groups by what they work on."""

from __future__ import annotations

from api.cli.common import app

# Each module registers its commands; this order is the order `pulse --help` lists them in.
# isort: off
from api.cli import serving, people, data, sources, signals, versions, registry, adapting, lab  # noqa: F401, E402
# isort: on

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    app()
