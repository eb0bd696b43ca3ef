"""Cleaning keeps the customer's own words; batch scoring writes every row, atomically."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from models import registry
from pipelines.clean import clean_text
from pipelines.score import ScoreInputError, score_csv


def test_quoted_reply_and_signature_are_removed() -> None:
    raw = ("Thanks, the fix works.\n\n--\nAna Souza\nHead of Ops, Acme\n\n"
           "On Tue, 3 Mar 2026, Support wrote:\n> We deployed a fix.\n")
    assert clean_text(raw) == "Thanks, the fix works."
    raw = "Still broken for us.\n\nOn Mon, Jan 5, 2026 at 9:00 AM Jordan <j@vendor.com> wrote:\n> Please retry."
    assert clean_text(raw) == "Still broken for us."
    assert clean_text("Great, thanks!\nSent from my iPhone") == "Great, thanks!"


def test_reply_headers_of_other_clients_and_languages_end_the_message() -> None:
    outlook = ("The export broke again.\n\nFrom: Sam Lee <sam@vendor.example>\nSent: Monday, November 2, 2026 "
               "9:14 AM\nTo: Ana Souza\nSubject: Export\n\nHello Ana, the export is fixed.")
    assert clean_text(outlook) == "The export broke again."
    assert clean_text("Danke!\n\nAm Mo., 2. Nov. 2026 um 09:14 Uhr schrieb Sam <s@x.example>:\n> Hallo") == "Danke!"
    assert clean_text("Thanks!\n\n-----Original Message-----\nFrom: Sam\nEarlier text") == "Thanks!"
    # A header the parser does not know still ends the message when quoted lines follow it.
    spanish = "Gracias por todo.\n\nEl lun, 2 nov 2026 a las 9:14, Sam (<s@x.example>) escribió:\n> hola"
    assert clean_text(spanish) == "Gracias por todo."
    # "From:" inside a sentence, and a colon without a quote after it, are the customer's words.
    assert clean_text("We're happy. From: our side all is fine.") == "We're happy. From: our side all is fine."
    assert clean_text("Two asks:\n1. faster export\n2. SSO") == "Two asks:\n1. faster export\n2. SSO"


def test_html_becomes_text_without_markup_scripts_or_quotes() -> None:
    raw = ("<html><head><style>p{color:red}</style></head><body><p>The export &amp; import <b>failed</b>.</p>"
           "<div>Please call me.</div><blockquote>Earlier: all fine</blockquote><script>x()</script></body></html>")
    assert clean_text(raw) == "The export & import failed.\n\nPlease call me."


def test_non_english_text_is_kept() -> None:
    assert clean_text("Très déçus du support.\nLe 3 mars, Support a écrit :\n> Bonjour") == "Très déçus du support."


def test_score_csv_adds_columns_to_every_row(tmp_path: Path) -> None:
    classifier, _ = registry.load(registry.shipped_default())
    source = tmp_path / "in.csv"
    source.write_text('id,text\n1,"Thanks, great job!"\n2,\n3,"The app crashed again, furious"\n')
    target = tmp_path / "out.csv"
    seen: list[int] = []
    counts = score_csv(classifier, source, target, batch_size=2, progress=seen.append)
    rows = list(csv.DictReader(target.open()))
    assert counts == {"scored": 2, "empty": 1, "unreadable": 0}
    assert seen == [2, 1]
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert [r["label"] for r in rows] == ["Green", "", "Red"]
    assert abs(sum(float(rows[0][f"p_{c}"]) for c in ("red", "yellow", "green")) - 1) < 1e-5
    assert rows[0]["model_version"] == classifier.version


def test_score_csv_refuses_a_file_without_text_and_leaves_no_output(tmp_path: Path) -> None:
    classifier, _ = registry.load(registry.shipped_default())
    source = tmp_path / "in.csv"
    source.write_text("id,body\n1,hello\n")
    with pytest.raises(ScoreInputError, match="needs a 'text' column; found id, body"):
        score_csv(classifier, source, tmp_path / "out.csv")
    assert list(tmp_path.iterdir()) == [source]


class Formulaic:
    """A classifier whose version starts like a formula: every column of the output is escaped, not just text."""

    version = "=HYPERLINK(\"http://evil.example\")"

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        return np.tile([0.7, 0.2, 0.1], (len(texts), 1))


def test_score_csv_output_cells_cannot_run_as_formulas(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    texts = ["=1+1 broken again", "+cmd|' /C calc'!A0", "-2 seats cancelled", "@SUM(A1) is late", "\tTab first",
             "\rCR first"]
    with source.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["=id", "text", "note"])
        writer.writerows([[f"-{i}", text, "=HYPERLINK(\"http://evil.example\")"] for i, text in enumerate(texts)])
    target = tmp_path / "out.csv"
    assert score_csv(Formulaic(), source, target) == {"scored": 6, "empty": 0, "unreadable": 0}
    rows = list(csv.reader(target.open(newline="")))
    assert rows[0] == ["'=id", "text", "note", "label", "p_red", "p_yellow", "p_green", "model_version"]
    assert [row[1] for row in rows[1:]] == ["'" + text for text in texts]
    for row in rows[1:]:
        assert row[0].startswith("'-") and row[2].startswith("'=") and row[7] == "'" + Formulaic.version
        assert row[3:7] == ["Red", "0.700000", "0.200000", "0.100000"]
    # Every cell is quoted, so a separator inside one cannot start a new cell where a spreadsheet splits on it.
    again = io.StringIO(newline="")
    csv.writer(again, quoting=csv.QUOTE_ALL).writerows(rows)
    with target.open(newline="") as written:
        assert written.read() == again.getvalue()


def test_score_csv_reads_wide_cells_and_reports_a_row_it_cannot_read(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines import cells

    source = tmp_path / "in.csv"
    with source.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text"])
        writer.writerows([["ok " * 70_000], [" =1+1 with a space first"], ["x" * 400_000], ["after it"]])
    monkeypatch.setattr(cells, "WIDE_CELL", 300_000)  # the 400,000-character row stands for one over 10,000,000
    target = tmp_path / "out.csv"
    counts = score_csv(Formulaic(), source, target)
    assert counts == {"scored": 3, "empty": 0, "unreadable": 1, "unreadable_lines": [4]}
    with cells.wide_cells():
        rows = list(csv.reader(target.open(newline="")))
    assert rows[2][0] == "' =1+1 with a space first" and rows[3][0] == "after it" and len(rows) == 4
