"""Training sets from the labels people confirmed, split by time, with the provenance a version records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from api.exports import service as exports
from training.datasets import Dataset, from_rows


def confirmed_training_sets(*, session: Session, where: str, eval_share: float, cut: datetime | None,
                            eval_accounts: list[int]) -> tuple[Dataset, Dataset, dict[str, Any]]:
    """Confirmed labels split by time: (training rows, evaluation rows, provenance of the split).

    Messages of the evaluation period (the latest `eval_share`, or from `cut`, and `eval_accounts` whole)
    never train; training rows carry each label's weight (api.exports.label_weight). `where` names the
    database in the sets' descriptions and the provenance.
    """
    rows = exports.confirmed(session=session)
    split = exports.split_by_time(rows, eval_share=eval_share, cut=cut, eval_accounts=eval_accounts)
    train_set = from_rows([(r["text"], r["label"]) for r in split.train],
                          f"confirmed labels in {where}, messages before {split.cut or 'any time'}",
                          weights=[exports.label_weight(r) for r in split.train])
    later = from_rows([(r["text"], r["label"]) for r in split.evaluate],
                      f"confirmed labels in {where}, messages from {split.cut}")
    return train_set, later, {**split.describe(), "database": where, "train_sha256": train_set.sha256,
                              "evaluate_sha256": later.sha256}
