"""Promotion with a gate: a challenger that scores below the active version on confirmed labels is refused."""

from __future__ import annotations

from sqlmodel import Session

from api.errors import ConflictError
from api.lab.compare import compare
from api.model_versions import service as model_versions
from api.model_versions.holder import ModelHolder
from api.model_versions.models import ModelVersion


def promote(*, session: Session, version: str, holder: ModelHolder, force: bool = False) -> ModelVersion:
    """Make a version active unless its macro-F1 on the latest confirmed labels is below the active one's.

    The refusal (409) names both figures and the interval of their difference; `force` skips the gate.
    """
    target = model_versions.get_verified(session=session, version=version)
    champion = model_versions.get_active(session=session)
    if not force and champion is not None and champion.version != version:
        result = compare(session=session, champion=champion, challenger=target, holder=holder)
        if "macro_f1_difference" in result and result["macro_f1_difference"]["value"] < 0:
            low, high = result["macro_f1_difference"]["ci"]
            raise ConflictError(
                f"{version} scores macro-F1 {result['challenger']['macro_f1']} on the latest {result['n']} confirmed "
                f"labels, below the active {champion.version} ({result['champion']['macro_f1']}; difference 95% "
                f"interval {low:+.4f} to {high:+.4f}); promote with force to override")
    return model_versions.promote(session=session, version=version)
