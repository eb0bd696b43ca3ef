"""The openly licensed training mix of the shipped default model, rebuilt from `../shared/data/open/`.

    python -m training.open_mix --open ../shared/data/open --out /tmp/open

writes `train.csv` (GoEmotions train, at most 6,000 rows a colour, and DynaSent round 1 and round 2
dev), `dev.csv` (GoEmotions dev and DynaSent round 1 test, 1,000 rows each, for the card's
figures), `xed_train.csv` (XED's Red and Green subtitle lines in six languages, for the multilingual
head's `--red-green-data`) and `xed_heldout/<language>.csv` (300 lines a language that never train,
for `pulse eval --suite`), all `text,label`, drawn with a fixed seed so the mix is the same on every
machine. The data
itself is never committed: its licences (Apache-2.0, CC BY 4.0) allow training a model that ships
with attribution, which the model card and NOTICE carry.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

SEED = 13
PER_COLOUR = 6000
DEV_ROWS = 1000
XED_HELD_OUT = 300
XED_LANGUAGES = ("de", "es", "fr", "it", "nl", "pt")
SOURCES = (
    "GoEmotions (Demszky et al., ACL 2020), Apache-2.0, google-research/google-research goemotions/data",
    "DynaSent v1.1 (Potts, Wu, Geiger, Kiela 2020), CC BY 4.0, cgpotts/dynasent",
    "XED (Öhman, Pàmies, Kajava, Tiedemann 2020), CC BY 4.0, Helsinki-NLP/XED",
)


def read(path: Path) -> list[tuple[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [(row["text"], row["label"]) for row in csv.DictReader(handle)]


def sample(rows: list[tuple[str, str]], per_label: int | None, total: int | None, rng: np.random.Generator
           ) -> list[tuple[str, str]]:
    """At most per_label rows of each colour, or total rows in all, drawn without replacement."""
    if total is not None:
        return [rows[i] for i in sorted(rng.choice(len(rows), size=min(total, len(rows)), replace=False))]
    chosen: list[tuple[str, str]] = []
    for label in ("Red", "Yellow", "Green"):
        of_label = [row for row in rows if row[1] == label]
        take = min(per_label or len(of_label), len(of_label))
        chosen += [of_label[i] for i in sorted(rng.choice(len(of_label), size=take, replace=False))]
    return chosen


def build(open_dir: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(train rows, dev rows) of the open mix."""
    rng = np.random.default_rng(SEED)
    train = sample(read(open_dir / "goemotions" / "train.csv"), PER_COLOUR, None, rng)
    train += read(open_dir / "dynasent" / "r1_yelp_dev.csv") + read(open_dir / "dynasent" / "r2_dynabench_dev.csv")
    dev = sample(read(open_dir / "goemotions" / "dev.csv"), None, DEV_ROWS, rng)
    dev += sample(read(open_dir / "dynasent" / "r1_yelp_test.csv"), None, DEV_ROWS, rng)
    order = rng.permutation(len(train))
    return [train[i] for i in order], dev


def xed(open_dir: Path) -> tuple[list[tuple[str, str]], dict[str, list[tuple[str, str]]]]:
    """(training lines of every language, held-out lines per language): a fixed permutation per language."""
    train: list[tuple[str, str]] = []
    held_out: dict[str, list[tuple[str, str]]] = {}
    for language in XED_LANGUAGES:
        rows = read(open_dir / "xed" / f"{language}.csv")
        order = np.random.default_rng(SEED).permutation(len(rows))
        held_out[language] = [rows[i] for i in order[:XED_HELD_OUT]]
        train += [rows[i] for i in order[XED_HELD_OUT:]]
    return train, held_out


SOURCE_ROWS = 1440
"""Rows a colour of GoEmotions in the one-source mixes: 4,320 in all, as many as DynaSent's rows."""


def one_source(open_dir: Path) -> dict[str, list[tuple[str, str]]]:
    """Each open English source alone, to train without the other and read it (training/shift.py): the mix's
    GoEmotions rows (SOURCE_ROWS a colour of them) and its DynaSent rows, and each source's test split."""
    rng = np.random.default_rng(SEED)
    goemotions = sample(sample(read(open_dir / "goemotions" / "train.csv"), PER_COLOUR, None, rng), SOURCE_ROWS,
                        None, np.random.default_rng(SEED))
    dynasent = read(open_dir / "dynasent" / "r1_yelp_dev.csv") + read(open_dir / "dynasent" / "r2_dynabench_dev.csv")
    shuffle = np.random.default_rng(SEED)
    return {"goemotions_train.csv": [goemotions[i] for i in shuffle.permutation(len(goemotions))],
            "dynasent_train.csv": [dynasent[i] for i in shuffle.permutation(len(dynasent))],
            "goemotions_test.csv": read(open_dir / "goemotions" / "test.csv"),
            "dynasent_test.csv": read(open_dir / "dynasent" / "r1_yelp_test.csv")}


def write(rows: list[tuple[str, str]], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--open", type=Path, default=Path("../shared/data/open"))
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    train, dev = build(args.open)
    write(train, args.out / "train.csv")
    write(dev, args.out / "dev.csv")
    xed_train, held_out = xed(args.open)
    write(xed_train, args.out / "xed_train.csv")
    (args.out / "xed_heldout").mkdir(exist_ok=True)
    for language, rows in held_out.items():
        write(rows, args.out / "xed_heldout" / f"{language}.csv")
    (args.out / "one_source").mkdir(exist_ok=True)
    for name, rows in one_source(args.open).items():
        write(rows, args.out / "one_source" / name)
    print(f"train {len(train)} rows, dev {len(dev)} rows, XED {len(xed_train)} Red-versus-Green rows and "
          f"{len(held_out)} × {XED_HELD_OUT} held out, in {args.out}")


if __name__ == "__main__":
    main()
