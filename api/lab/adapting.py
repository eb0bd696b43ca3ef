"""Adapting a version to this deployment's customers, from the labels its people confirmed.

Which labels can be trusted: the current decisions on messages (check items' answers are never decisions),
near-duplicates collapsed (api.exports), and none of the people the audit currently flags (rubber-stamping,
or leaning beyond peers) unless asked. The latest share by time is held out to measure on. The fit itself
is training.adapted_version; this flow reads the database and registers the result.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from api.audit import service as audit
from api.audit.models import AuditSettings
from api.config import Settings
from api.errors import NotFoundError, UnprocessableError
from api.exports import service as exports
from api.model_versions import service as model_versions
from api.model_versions.models import ModelVersion
from api.suggestions.models import Suggestion


def flagged_people(session: Session, settings: Settings) -> set[int]:
    """Whom the audit flags now, over every team: rubber-stamping, or leaning beyond their peers."""
    summary = audit.summary(session=session, team=None, since=None, until=None, model_version=None, scope=None,
                            segment=None, settings=AuditSettings.from_settings(settings))
    return {person.user_id for person in summary.per_user if person.flagged or person.rubber_stamp}


def trusted_labels(session: Session, settings: Settings, *,
                   include_flagged: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Confirmed labels to learn from, oldest first, and what was left out (with counts)."""
    rows = exports.confirmed(session=session)
    flagged = flagged_people(session, settings)
    kept = rows if include_flagged else [r for r in rows if r["decided_by"] not in flagged]
    return kept, {"flagged_people": len(flagged), "labels_of_flagged_people": len(rows) - len(kept),
                  "flagged_people_included": include_flagged,
                  "near_duplicates_collapsed": sum(r["duplicates"] for r in rows)}


def base_version(session: Session, version: str | None) -> ModelVersion:
    """The version to adapt: the one named, else the active one."""
    found = session.get(ModelVersion, version) if version else model_versions.get_active(session=session)
    if found is None:
        raise NotFoundError(f"model version {version!r} is not registered" if version else
                            "no model version is active; name one with --base")
    return found


def adapt(session: Session, settings: Settings, *, base: str | None = None, out_root: Path | None = None,
          include_flagged: bool = False, force: bool = False, command: str = "",
          say: Callable[[int, int], None] = lambda done, total: None) -> Any:
    """Build an adapted version of `base` (default: the active one) from the trusted confirmed labels; returns
    training.adapted_version.Adapted (written under `out_root` unless it reads the held-out labels worse than its
    base)."""
    from training import adapt as fitting
    from training import adapted_version

    version = base_version(session, base)
    rows, left_out = trusted_labels(session, settings, include_flagged=include_flagged)
    split = exports.split_by_time(rows, eval_share=settings.adapt_eval_share)
    languages = dict(session.execute(
        select(col(Suggestion.id), col(Suggestion.language))
        .where(col(Suggestion.id).in_([r["suggestion_id"] for r in rows]))).all()) if rows else {}

    def example(row: dict[str, Any]) -> Any:
        return fitting.Example(row["text"], row["label"], exports.label_weight(row),
                               languages.get(row["suggestion_id"]))

    try:
        return adapted_version.build(Path(version.artifact_path), [example(r) for r in split.train],
                             [example(r) for r in split.evaluate], out_root=out_root or settings.adapted_directory(),
                             options=settings.serving(), force=force, command=command, say=say,
                             extra={"left_out": left_out, "split": split.describe()})
    except fitting.AdaptError as error:
        raise UnprocessableError(str(error)) from None
    except ImportError as missing:  # fitting a head needs SciPy, which only the training install has
        raise UnprocessableError(f"adapting a version needs the training install ({missing.name} is missing): "
                                 "pip install -e '.[train]'") from None
