"""The sender's own words, kept wherever they stand, from replies shaped like real clients' (written for Pulse)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from pipelines import clean, replies
from pipelines.clean import clean_text

BODY = "The dashboard has been down since Monday and our team cannot work."


@pytest.mark.parametrize("history", [
    "On Tue, 4 Mar 2025 at 10:02, Ana Souza <ana@pulse.example> wrote:\n> Could you check the export?",
    "Am 04.03.2025 um 10:02 schrieb Ana Souza <ana@pulse.example>:\n> Könnten Sie den Export prüfen?",
    "Le mar. 4 mars 2025 à 10:02, Ana Souza <ana@pulse.example> a écrit :\n> Pouvez-vous vérifier ?",
    "El mar, 4 mar 2025 a las 10:02, Ana Souza (<ana@pulse.example>) escribió:\n> ¿Puede revisar?",
    "Il giorno mar 4 mar 2025 alle ore 10:02 Ana Souza <\nana@pulse.example> ha scritto:\n> Può controllare?",
    "W dniu 4.03.2025 o 10:02, Ana Souza napisał:\n> Czy możesz sprawdzić?",
    "Em ter., 4 de mar. de 2025 às 10:02, Ana Souza <ana@pulse.example>\nescreveu:\n> Pode verificar?",
    "Op di 4 mrt 2025 om 10:02 schreef Ana Souza <ana@pulse.example>:\n> Kunt u het controleren?",
    "Den tir. 4. mar. 2025 kl. 10.02 skrev Ana Souza <ana@pulse.example>:\n> Kan du tjekke det?",
    "tis 4 mars 2025 kl 10:02 skrev Ana Souza <ana@pulse.example>:\n> Kan du kolla?",
    "ti 4. maalisk. 2025 klo 10.02 Ana Souza (ana@pulse.example) kirjoitti:\n> Voitko tarkistaa?",
    "вт, 4 мар. 2025 г. в 10:02, Ana Souza <ana@pulse.example>:\n\nМожете проверить?",
    "4 марта 2025 г., 10:02 пользователь Ana Souza <ana@pulse.example>\nнаписал:\n> Можете проверить?",
    "2025年3月4日(火) 10:02 Ana Souza <ana@pulse.example>:\n> 確認できますか？",
    "-----Ursprüngliche Nachricht-----\nVon: Ana Souza <ana@pulse.example>\nGesendet: Dienstag, 4. März 2025 10:02"
    "\nAn: support@acme.example\nBetreff: Export\n\nKönnten Sie den Export prüfen?",
    "De : Ana Souza <ana@pulse.example>\nEnvoyé : mardi 4 mars 2025 10:02\nÀ : support@acme.example\n"
    "Objet : Export\n\nPouvez-vous vérifier ?",
    "-------- Oprindelig besked --------\nFra: Ana Souza <ana@pulse.example>\nDato: 04.03.2025 10.02\n\nKan du?",
    "---- On Tue, 04 Mar 2025 10:02:00 +0000 Ana Souza wrote ----\n\nCould you check the export?",
    "________________________________\nFrom: Ana Souza <ana@pulse.example>\nSent: Tuesday, March 4, 2025 10:02 AM"
    "\nTo: Support\nSubject: Export\n\nCould you check the export?",
])
def test_reply_headers_in_many_languages_end_the_sender_s_words(history: str) -> None:
    assert clean_text(f"{BODY}\n\n{history}") == BODY


def test_outlook_html_headers_with_blank_lines_between_them_still_end_the_message() -> None:
    html = (f"<div><p>{BODY}</p><p>Thanks,</p><p>Ben</p><div><hr><p><b>From:</b> Ana Souza</p>"
            "<p><b>Sent:</b> Tuesday, March 4, 2025 10:02 AM</p><p><b>To:</b> Ben</p><p><b>Subject:</b> Export</p>"
            "<p>Could you check the export?</p></div></div>")
    assert clean_text(html) == f"{BODY}\n\nThanks,\n\nBen"


def test_words_written_below_or_between_quotes_are_kept() -> None:
    interleaved = ("On Tue, 4 Mar 2025, Ana Souza <ana@pulse.example> wrote:\n> Is the export working now?\n\n"
                   "No, it still fails every night.\n\n> And the new reports?\n\nThose are great, the team loves them.")
    assert clean_text(interleaved) == "No, it still fails every night.\n\nThose are great, the team loves them."
    wrapped_quote = "> a quoted line that the client\nwrapped without its marker\n> and goes on\n\nMy answer."
    assert clean_text(wrapped_quote) == "My answer."


CLOSINGS = ["Sent from my iPhone", "Sent from my BlackBerry", "Gesendet von Outlook für Android",
            "Envoyé de mon iPhone",
            "Enviado desde mi iPhone", "Get Outlook for iOS", "Von meinem iPhone gesendet",
            "Sent from my Wiko RIDGE FAB 4G", "-- \nBen Hall"]


@pytest.mark.parametrize("closing", CLOSINGS)
def test_mobile_closings_and_signatures_go(closing: str) -> None:
    assert clean_text(f"{BODY}\n\n{closing}") == BODY


def test_a_sentence_that_starts_like_a_closing_stays() -> None:
    text = f"{BODY}\n\nSent from my desk, which is easier than my phone."
    assert clean_text(text) == text


@pytest.mark.parametrize("signoff", ["Best regards,\nBen Hall\nHead of Finance", "Mit freundlichen Grüßen\nBen Hall",
                                     "Med venlig hilsen\nBen", "Pozdrawiam,\nBen", "Cordialement,\nBen Hall"])
def test_sign_offs_and_the_name_below_them_go(signoff: str) -> None:
    assert clean_text(f"Hi Ana,\n\n{BODY}\n\n{signoff}") == f"Hi Ana,\n\n{BODY}"


def test_a_body_that_is_only_an_attribution_or_a_closing_is_empty() -> None:
    assert clean_text("On Tue, 4 Mar 2025, Ana Souza <ana@pulse.example> wrote:\n> Hello?") == ""
    assert clean_text("Sent from my iPhone") == ""


def test_the_message_s_own_header_above_its_words_is_skipped() -> None:
    text = f"From: Ana Souza <ana@pulse.example>\nSent: Tuesday, March 4, 2025\nSubject: Export\n\n{BODY}"
    assert clean_text(text) == BODY


def test_control_characters_and_invisible_marks_go() -> None:
    assert clean_text("The export\x00 fails\u200b again.\x07") == "The export fails again."


class Counting:
    """A compiled pattern that counts the characters it is asked to look at."""

    def __init__(self, pattern: re.Pattern[str], seen: list[int]) -> None:
        self.pattern, self.seen = pattern, seen

    def _count(self, method: str, text: str, *args: Any) -> Any:
        self.seen[0] += len(text)
        return getattr(self.pattern, method)(text, *args)

    def match(self, text: str, *args: Any) -> Any:
        return self._count("match", text, *args)

    def search(self, text: str, *args: Any) -> Any:
        return self._count("search", text, *args)

    def sub(self, replacement: str, text: str, *args: Any) -> Any:
        self.seen[0] += len(text)
        return self.pattern.sub(replacement, text, *args)


ADVERSARIAL = {
    "spaces": lambda n: "Hello " + " " * n + "world.",
    "newlines": lambda n: "Hi\n" + "\n" * n + "bye",
    "quoted lines": lambda n: "Thanks.\n" + "> quoted line here\n" * (n // 19),
    "attributions": lambda n: "Thanks.\n" + "On Mon, 1 Jan 2024, Ana <a@b.c> wrote:\n" * (n // 40),
    "colons": lambda n: "a:\n" * (n // 3),
    "from labels": lambda n: "Thanks.\n" + "From: x\n\n" * (n // 9),
    "unclosed tags": lambda n: "<div>" + "<a " * (n // 3),
    "open comments": lambda n: "<p>" + "<!--" * (n // 4),
    "one long line": lambda n: "word " * (n // 5),
}


@pytest.mark.parametrize("shape", list(ADVERSARIAL))
def test_cleaning_looks_at_each_character_a_bounded_number_of_times(shape: str,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    seen = [0]
    for module in (clean, replies):
        for name, value in list(vars(module).items()):
            if isinstance(value, re.Pattern):
                monkeypatch.setattr(module, name, Counting(value, seen))
    work = {}
    for n in (16_000, 256_000):
        seen[0] = 0
        clean_text(ADVERSARIAL[shape](n))
        work[n] = seen[0]
    # Linear: sixteen times the text, at most about sixteen times the work, and a few passes per character.
    assert work[256_000] <= 17 * max(work[16_000], 1)
    assert work[256_000] <= 40 * 256_000
