"""`pulse models ...`: the registry of model versions: list, register, promote, roll back, compare, shadow; and
writing an artifact's serving graph to ship with it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import DbOption, database, err, fail, models_app, safe_url, settings_for
from api.lab import promotion
from api.model_versions import service as model_versions
from api.model_versions.holder import ModelHolder
from api.model_versions.models import ModelVersion
from models import registry
from models.artifacts import ArtifactError


@models_app.command("list")
def models_list(db: DbOption = None) -> None:
    """List model versions with status and metrics."""
    settings = settings_for(db)
    with database(settings) as session:
        versions = model_versions.get_all(session=session)
    print(f"{'version':<32} {'kind':<14} {'status':<10} {'dev macro-F1':<13} created")
    for v in versions:
        dev_f1 = (v.metrics.get("dev") or {}).get("macro_f1")
        print(f"{v.version:<32} {v.kind:<14} {v.status:<10} {'-' if dev_f1 is None else f'{dev_f1:.4f}':<13} "
              f"{v.created_at.isoformat(timespec='seconds')}")


@models_app.command("register")
def models_register(directory: Annotated[Path, typer.Argument(help="artifact directory")],
                    db: DbOption = None) -> None:
    """Verify an artifact directory and record it as a candidate version."""
    settings = settings_for(db)
    try:
        with database(settings) as session:
            version = model_versions.register(session=session, directory=directory.resolve()).version
    except ArtifactError as error:
        raise fail(f"model artifact refused: {error}") from error
    print(version)


@models_app.command("promote")
def models_promote(version: Annotated[str, typer.Argument(help="a registered version")],
                   force: Annotated[bool, typer.Option("--force", help="promote even if it scores below the "
                                                                       "active version")] = False,
                   db: DbOption = None) -> None:
    """Make a version the active one; running servers switch on their next request.

    A challenger scoring below the active version on the latest confirmed labels is refused unless --force.
    """
    settings = settings_for(db)
    try:
        with database(settings) as session:
            holder = ModelHolder(settings.serving())
            promoted = promotion.promote(session=session, version=version, force=force, holder=holder)
    except ArtifactError as error:
        raise fail(str(error)) from error
    err.print(f"{promoted.version} is now active", highlight=False)


@models_app.command("rollback")
def models_rollback(db: DbOption = None) -> None:
    """Make the previously active version active again; running servers switch on their next request."""
    settings = settings_for(db)
    with database(settings) as session:
        version = model_versions.rollback(session=session).version
    err.print(f"rolled back: {version} is active again", highlight=False)


@models_app.command("compare")
def models_compare(champion: Annotated[str, typer.Argument(help="the version to beat (usually the active one)")],
                   challenger: Annotated[str, typer.Argument(help="the candidate")],
                   limit: Annotated[int, typer.Option(min=1, help="latest confirmed labels to use")] = 500,
                   db: DbOption = None) -> None:
    """Both versions on the latest confirmed labels: macro-F1, agreement, ECE, with 95% intervals."""
    from api.lab.compare import compare

    settings = settings_for(db)
    try:
        with database(settings) as session:
            versions = [session.get(ModelVersion, v) for v in (champion, challenger)]
            missing = [v for v, found in zip((champion, challenger), versions, strict=True) if found is None]
            if missing:
                raise fail(f"model version {missing[0]!r} is not registered in {safe_url(settings.database_url)}")
            a, b = versions
            assert a is not None and b is not None
            result = compare(session=session, champion=a, challenger=b, holder=ModelHolder(settings.serving()),
                             limit=limit)
    except ArtifactError as error:
        raise fail(f"model artifact refused: {error}") from error
    print(json.dumps(result))


@models_app.command("shadow")
def models_shadow(version: Annotated[str, typer.Argument(help="a registered version")], db: DbOption = None) -> None:
    """Let a version score new text silently beside the active one, for comparison with people's decisions."""
    settings = settings_for(db)
    try:
        with database(settings) as session:
            model_versions.shadow(session=session, version=version)
    except ArtifactError as error:
        raise fail(str(error)) from error
    err.print(f"{version} now scores new text in shadow; workers store its suggestions silently",
              highlight=False)


@models_app.command("ship-graph")
def models_ship_graph(directory: Annotated[Path, typer.Argument(help="artifact directory")]) -> None:
    """Write the artifact's serving graph (fp16 weights, with its tokenizer) under models/artifacts/graphs/,
    sealed, so that it serves where PyTorch is not installed. Needs the training install (.[train])."""
    try:
        written = registry.ship_graph(directory.resolve())
    except ImportError as missing:
        raise fail(f"building a graph needs the training install ({missing.name} is missing): "
                   "pip install -e '.[train]'") from None
    except ArtifactError as error:
        raise fail(f"model artifact refused: {error}") from error
    for folder in written:
        size = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
        print(f"{folder} ({size:.1f} MB)")
    if not written:
        err.print(f"{directory} holds no transformer: it serves without a graph", highlight=False)
