"""Sentences that are the form of a message, not its sentiment: greetings, closings, names, signatures.

They are never evidence. Occlusion would otherwise pick them: a model leans on "Thanks," or a name it
saw often in training, and a CSM would be shown "Klaus Becker" as the reason an account looks Green.
Recognised in English, German, French, Spanish, Portuguese, Italian, Dutch, the Nordic languages and
Polish; a sentence counts only when it is nothing but the formula (and perhaps a name after it):
"Thank you so much, the release is excellent" is sentiment, "Thanks, Ben" is not.
"""

from __future__ import annotations

import re

GREETINGS = (
    "hi", "hello", "hey", "dear", "good (?:morning|afternoon|evening)", "greetings", "hallo", "guten (?:morgen|tag)",
    "liebe[rs]?", "sehr geehrte[rs]?", "bonjour", "bonsoir", "salut", "cher", "ch[èe]re", "madame", "monsieur",
    "hola", "buen[oa]s (?:d[ií]as|tardes)", "estimad[oa]s?", "ol[áa]", "oi", "prezad[oa]s?", "bom dia",
    "boa tarde", "ciao", "salve", "gentile", "buongiorno", "buonasera", "beste", "geachte", "hoi", "goedemorgen",
    "hej", "hei", "moi", "dzień dobry", "witam", "szanown[ay]",
)
CLOSINGS = (
    "best regards", "best wishes", "best", "kind regards", "warm regards", "regards", "all the best", "cheers",
    "sincerely", "yours(?: truly| sincerely)?", "thanks(?: again| in advance)?", "thank you", "many thanks", "thx",
    "mit freundlichen gr[üu](?:ß|ss)en", "freundliche gr[üu](?:ß|ss)e", "viele gr[üu](?:ß|ss)e",
    "beste gr[üu](?:ß|ss)e", "liebe gr[üu](?:ß|ss)e", "lg", "mfg", "danke", "vielen dank", "cordialement",
    "bien (?:à|a) vous", "salutations", "merci(?: beaucoup)?", "bonne journée", "saludos", "un saludo",
    "atentamente", "gracias", "muchas gracias", "atenciosamente", "abraços", "obrigad[oa]", "cordiali saluti",
    "distinti saluti", "saluti", "grazie(?: mille)?", "met vriendelijke groet(?:en)?", "vriendelijke groet(?:en)?",
    "groeten", "bedankt", "med venlig hilsen", "venlig hilsen", "vänliga hälsningar", "hälsningar",
    "med vennlig hilsen", "ystävällisin terveisin", "terveisin", "pozdrawiam", "z poważaniem", "dziękuję",
)
GROUPS = ("all", "team", "everyone", "everybody", "alle", "zusammen", "tous", "todos", "tutti")
_NAME = r"(?-i:[A-ZÀ-ÖØ-Þ][\w'’.-]*(?:\s+[A-ZÀ-ÖØ-Þ][\w'’.-]*){0,3})"  # capitalised words, whatever the flags

_FORMULA = re.compile(rf"(?:(?:{'|'.join(GREETINGS)})(?:\s+{_NAME}|\s+(?:{'|'.join(GROUPS)}))?"
                      rf"|(?:{'|'.join(CLOSINGS)})(?:\s*[,!.]?\s*{_NAME})?)\s*[,!.:;]*", re.IGNORECASE)
_NAME_ONLY = re.compile(rf"{_NAME}\s*[,.]?")
_CONTACT = re.compile(r"[^\s@]+@[^\s@]+\.\w+|(?:\+|\b)\d[\d ()./-]{6,}\d|https?://|\bwww\.", re.IGNORECASE)
SIGNATURE_LINE_MAX = 200
"""A signature's contact line is short; longer text is never read as one (and the contact pattern never runs
over a long run of text without spaces, where it would backtrack for minutes)."""


def is_formality(sentence: str) -> bool:
    """Whether a sentence is only a greeting, a closing, a name, or a signature's contact line."""
    text = " ".join(sentence.split())
    if not text:
        return True
    if _FORMULA.fullmatch(text) or (len(text) <= 40 and _NAME_ONLY.fullmatch(text)):
        return True
    words = re.findall(r"[^\W\d_]{2,}", text)
    # A signature line: contact details with few words around them ("Ana Souza | +49 30 1234 567").
    return len(text) <= SIGNATURE_LINE_MAX and len(words) <= 6 and bool(_CONTACT.search(text))
