"""The customer-success corpus keeps GUIDELINES.md: every file passes the checker, and the checker catches
what it must."""

from __future__ import annotations

from pathlib import Path

import pytest

from training import corpus

HEADER = ",".join(corpus.COLUMNS)


def test_every_corpus_file_keeps_the_guidelines() -> None:
    paths = corpus.files()
    if not paths:
        pytest.skip("no corpus files yet")
    messages = corpus.read(paths)
    assert corpus.check(messages) == []
    assert {m.split for m in messages} <= {"train", "test"}
    assert all(Path(m.source.split(":")[0]).stem.startswith(m.language) for m in messages)


def write(tmp_path: Path, *rows: str) -> list[corpus.Message]:
    path = tmp_path / "en.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return corpus.read([path])


def test_the_checker_names_each_broken_rule(tmp_path: Path) -> None:
    messages = write(
        tmp_path,
        'en-train-00001,en,email,software,director,'
        '"We are very happy with the Zeta product, thanks a lot for it.",Red,',
        'en-train-00002,en,chat,retail,manager,"we signed with another vendor for next year",Red,'
        '"competitor=we signed with a different vendor for next year"',
        'en-train-00003,en,ticket,banking,it,"The export keeps failing since this morning, please help us quickly.",'
        'Yellow,"competitor=The export keeps failing since this morning, please help us quickly."',
        'en-train-00003,en,fax,banking,it,"We renewed for three years and rolled the tool out to 400 more people.",'
        'Green,"renewal_confirmed=We renewed for three years and rolled the tool out to 400 more people."',
        'de-train-00005,en,chat,retail,manager,"We are very happy with the Acme product, thanks a lot for it.",'
        'Yellow,')
    problems = "\n".join(corpus.check(messages))
    assert "en-train-00001 (en.csv:2): Red carries no risk cue" in problems
    assert "en-train-00002 (en.csv:3): competitor fragment is not copied verbatim" in problems
    assert "Yellow carries a leaving cue" in problems
    assert "en-train-00003 (en.csv:5): id also used at en.csv:4" in problems
    assert "channel must be one of email, ticket, chat, call_note, got 'fax'" in problems
    assert "de-train-00005 (en.csv:6): id must look like en-train-00001" in problems
    assert "de-train-00005 (en.csv:6): shares a sentence skeleton with en-train-00001" in problems


def test_quoted_replies_and_short_lines_are_no_skeletons() -> None:
    text = ("Hi Ana,\n\nWe will move the whole team to the new plan in March.\n\nBest regards,\nTom\n\n"
            "On Tue, 4 Mar 2025 at 10:12, Sam Lee <sam@vendor.example> wrote:\n> Happy to help with anything you need")
    assert corpus.skeletons(text) == {"we will move the whole team to the new plan in X"}
