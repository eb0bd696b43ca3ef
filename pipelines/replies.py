"""The sender's own words in a reply: quoted history, reply headers and mobile closings removed, in one pass.

Line by line, linear in the length of the text whatever its shape (every pattern is anchored and looks at
a bounded prefix of one line; look-aheads are computed once, backwards). What goes:
- `>` quoted lines, and an unquoted line wrapped inside a quote (quoted lines on both sides);
- an attribution line ("On Mon, Ana wrote:", "Am … schrieb …:", "Le … a écrit :", "El … escribió:",
  "In data … ha scritto:", "W dniu … napisał:", "Em … escreveu:", "Op … schreef …:", "… skrev:",
  "… kirjoitti:", "… написал:", "2016年12月12日 … <a@b.c>:"), wrapped over up to three lines. When quoted
  lines follow it, the text below them is kept (a reply written below or between quotes); otherwise the
  rest is earlier mail;
- from an Outlook-style header block ("From: / Sent: / To: / Subject:" in a dozen languages, blank lines
  between allowed, as HTML conversion leaves them), an "Original message" or "Forwarded message" line, or
  a line of underscores, everything below;
- from a signature delimiter ("-- ") or a mobile closing ("Sent from my iPhone", "Gesendet von Outlook
  für Android", "Envoyé de mon iPhone", "Sent from my BlackBerry", …), everything below.
"""

from __future__ import annotations

import re

PREFIX = 400
"""Patterns look at most this many characters of a line: what a header or closing can be."""

_WROTE = (r"wrote|writes|schrieb|a\s+écrit|ecrit|écrit|escribió|escribio|escreveu|ha\s+scritto|scrisse|"
          r"schreef|skrev|kirjoitti|napisał|napisal|написал|написала|пишет|írta|yazdı|έγραψε|a\s+scris|"
          r"napsal|napísal|写道|寫道|님이\s*작성")
_WROTE_LINE = re.compile(rf"(?:^|[\s,>\"')\]])(?:{_WROTE})(?:\s+(?:the\s+)?following)?\b[^:]{{0,60}}:\s*$",
                         re.IGNORECASE)
_DATEISH = re.compile(r"@|\b\d{1,2}[:.]\d{2}\b|\b(?:19|20)\d{2}\b|\d{1,4}年")
_ATTRIBUTION_END = re.compile(rf":\s*$|(?:{_WROTE})\s*$", re.IGNORECASE)
_WROTE_END = re.compile(rf"(?:^|\s)(?:{_WROTE})\s*$", re.IGNORECASE)
_CLOSER = re.compile(r"^\s*[>)\]]\s*:\s*$")
_CONTINUES = re.compile(r"^(?:[^\W\d_](?<![A-ZÀ-ÞА-Я])|[<(\[\"']|[^\s@<>]+@)")
_ADDRESSED = re.compile(r"[<(\[][^<>()\[\]\s]+@[^<>()\[\]\s]+[>)\]]")

_FROM = (r"from|von|de|da|van|från|fra|od|от|lähettäjä|feladó|kimden|від|差出人|发件人|寄件者|보낸\s*사람|"
         r"sender|absender|expéditeur|remitente|mittente|afzender|avsändare|afsender|nadawca|отправитель")
_OTHER = (r"sent|date|to|cc|subject|gesendet|datum|an|betreff|envoyé|envoye|objet|à|a|enviado|fecha|para|asunto|"
          r"assunto|inviato|data|oggetto|verzonden|aan|onderwerp|skickat|till|ämne|sendt|til|emne|dato|wysłano|"
          r"do|temat|отправлено|дата|кому|тема|lähetetty|vastaanottaja|aihe|päivämäärä|küldve|tárgy|"
          r"送信日時|宛先|件名|发送时间|收件人|主题|日期|보낸\s*날짜|받는\s*사람|제목|kopie|copie|copia")
_FROM_LABEL = re.compile(rf"^[*\s]*(?:{_FROM})\s*[*]?\s*:", re.IGNORECASE)
_OTHER_LABEL = re.compile(rf"^[*\s]*(?:{_OTHER})\s*[*]?\s*:", re.IGNORECASE)
HEADER_LOOKAHEAD = 12
"""Lines after a From: label searched for the block's other labels."""

_EARLIER = re.compile(
    r"^\s*-{2,}\s*(?:original\s+message|ursprüngliche\s+nachricht|message\s+d'origine|mensaje\s+original|"
    r"messaggio\s+originale|oorspronkelijk\s+bericht|originalmeddelande|opprinnelig\s+melding|"
    r"oprindelig\s+meddelelse|wiadomość\s+oryginalna|исходное\s+сообщение|alkuperäinen\s+viesti|"
    r"mensagem\s+original|forwarded\s+message|weitergeleitete\s+nachricht|message\s+transféré|"
    r"mensaje\s+reenviado|messaggio\s+inoltrato|doorgestuurd\s+bericht|videresendt\s+melding|"
    r"vidarebefordrat\s+meddelande|пересылаемое\s+сообщение)\s*-{2,}\s*$"
    rf"|^\s*-{{2,}}\s*.{{0,200}}(?:{_WROTE})\s*:?\s*-{{2,}}\s*$"
    r"|^\s*-{4,}\s*[^-\s][^-]{2,60}-{4,}\s*$"  # "-------- Oprindelig besked --------", any language
    r"|^\s*_{2,}\s*$|^\s*={3,}\s*$",
    re.IGNORECASE)
_DEVICE = (r"(?:my\s+|mon\s+|mi\s+|meu\s+|mijn\s+|min\s+|meinem\s+|il\s+mio\s+)?(?:[\w-]+\s+){0,3}?"
           r"(?:iphone|ipad|ios|mac|android|mobile|galaxy|blackberry|samsung|huawei|xiaomi|pixel|smartphone|tablet|"
           r"outlook|mail|yahoo|aol|gmail|typeapp|windows|spark|proton|sparrow|handy|téléphone|móvil|celular|"
           r"telefono|telefoon|telefon)")
_SIGNATURE = re.compile(
    r"^(?:--|—)\s*$"
    rf"|^\s*(?:sent\s+(?:from|with|using|via)|get\s+outlook\s+for|gesendet\s+(?:von|mit|vom)|envoyé\s+(?:de|depuis|à\s+partir\s+de)|"
    rf"enviado\s+(?:desde|do|de)|inviato\s+da|verzonden\s+(?:vanaf|met)|verstuurd\s+(?:vanaf|met)|"
    rf"skickat\s+från|sendt\s+fra|wysłane\s+z|отправлено\s+(?:с|из)|lähetetty)\s+{_DEVICE}"
    r"|^\s*sent\s+from\s+my\s+[^,.!?;:]{1,30}$"  # "Sent from my Wiko RIDGE FAB 4G"; not "Sent from my desk, …"
    r"|^\s*von\s+meinem\s+\S.{0,40}gesendet|^\s*(?:iphone|android)\s*から送信",
    re.IGNORECASE)
_SIGNOFF = re.compile(
    r"^\s*(?:(?:best|kind|warm|warmest|many)\s+(?:regards|wishes)|regards|best|cheers|sincerely|yours(?:\s+truly)?|"
    r"cordially|respectfully|mit\s+freundlichen\s+grüßen|(?:viele|beste|liebe|freundliche)\s+grüße|grüße|gruß|mfg|"
    r"(?:bien\s+)?cordialement|bien\s+à\s+vous|salutations|(?:un\s+)?saludos?|atentamente|(?:cordiali|distinti)\s+saluti|"
    r"saluti|met\s+vriendelijke\s+groet(?:en)?|(?:vriendelijke\s+)?groet(?:en)?|(?:med\s+)?vänliga\s+hälsningar|"
    r"hälsningar|mvh|(?:med\s+)?venlig\s+hilsen|hilsen|kh|pozdrawiam|z\s+powa[żz]aniem|atenciosamente|abraços|"
    r"cumprimentos|с\s+уважением|(?:ystävällisin\s+)?terveisin|よろしくお願いします)\s*[,.!]*\s*$",
    re.IGNORECASE)
SIGNOFF_TAIL = 4
"""Lines after a sign-off ("Regards," / "Med venlig hilsen") that may be the signer's name and title."""

CLOSING_MAX = 100
"""A mobile closing is a short line; a longer one starting "Sent from" is the customer's sentence."""


def _quoted(line: str) -> bool:
    return line.startswith(">")


def own_words(text: str) -> str:
    """The lines of text that the sender wrote in this message (text: normalised lines joined by \\n)."""
    lines = text.split("\n")
    n = len(lines)
    # next_text[i]: index of the first non-blank line at or after i (n if none); rest_quiet[i]: every line
    # from i on is blank or quoted. Both computed once, backwards.
    next_text = [n] * (n + 1)
    rest_quiet = [True] * (n + 1)
    for i in range(n - 1, -1, -1):
        blank = not lines[i].strip()
        next_text[i] = next_text[i + 1] if blank else i
        rest_quiet[i] = rest_quiet[i + 1] and (blank or _quoted(lines[i]))
    kept: list[str] = []
    previous_quoted = skipping_header = False
    for i, line in enumerate(lines):
        head = line[:PREFIX]
        if _quoted(line):
            previous_quoted = True
            continue
        if not line.strip():
            kept.append(line)
            previous_quoted = False
            continue
        follower = next_text[i + 1]
        quote_follows = follower < n and _quoted(lines[follower])
        if previous_quoted and quote_follows:
            continue  # a quoted line wrapped without its ">": quotes on both sides
        previous_quoted = False
        if _EARLIER.match(head) or (len(line) <= CLOSING_MAX and _SIGNATURE.match(head)):
            break
        if skipping_header and (_FROM_LABEL.match(head) or _OTHER_LABEL.match(head)):
            continue
        skipping_header = False
        if _FROM_LABEL.match(head) and _header_block(lines, i, next_text):
            if any(kept_line.strip() for kept_line in kept):
                break
            skipping_header = True  # the message's own header, above its first words: skip it
            continue
        if i + 1 < n and _CLOSER.match(lines[i + 1]):
            head += ":"  # "… skrev Test user <test@example.com" / ">:" : the colon wrapped onto a line of its own
        wrapped = _attribution(kept, head)
        joined = _joined(kept, head, wrapped) if wrapped is not None else ""
        if wrapped is not None and (quote_follows or rest_quiet[i + 1] or _WROTE_LINE.search(joined)
                                    or _dated_address(joined)):
            del kept[len(kept) - wrapped:]
            if quote_follows:
                continue  # what is quoted goes line by line; the sender's words below it stay
            break  # unquoted earlier mail follows, or nothing of the sender's does
        kept.append(line)
    return "\n".join(_without_signoff(kept))


def _without_signoff(kept: list[str]) -> list[str]:
    """The lines without a closing sign-off and the few short name lines after it ("Regards,\nJohn Doe")."""
    filled = [i for i, line in enumerate(kept) if line.strip()]
    for position in range(max(len(filled) - SIGNOFF_TAIL - 1, 0), len(filled)):
        i = filled[position]
        line = kept[i]
        tail = [kept[j] for j in filled[position + 1:]]
        short_tail = all(len(t) <= 60 and not t.lower().startswith(("p.s", "ps:", "ps ")) for t in tail)
        if position > 0 and short_tail and _SIGNOFF.match(line[:PREFIX]):
            return kept[:i]
    return kept


def _joined(kept: list[str], head: str, wrapped: int) -> str:
    return " ".join([*(line.strip() for line in kept[len(kept) - wrapped:]), head.strip()]) if wrapped else head


def _attribution(kept: list[str], head: str) -> int | None:
    """If this line ends an attribution, how many kept lines above it belong to it (0-2); else None.

    A line that starts lower case, with a bracket or with an address continues the line above it ("Il
    giovedì …, Company <" / "q@company.com> ha scritto:").
    """
    if not _ATTRIBUTION_END.search(head):
        return None
    wrapped, first = 0, head
    while (wrapped < 2 and _CONTINUES.match(first.strip()) and wrapped < len(kept)
           and kept[len(kept) - wrapped - 1].strip()):
        wrapped += 1
        first = kept[len(kept) - wrapped]
    joined = _joined(kept, head, wrapped)
    if len(joined) > PREFIX:
        return None
    if _WROTE_LINE.search(joined) or _DATEISH.search(joined) and (joined.rstrip().endswith(":")
                                                                   or _WROTE_END.search(joined)):
        return wrapped
    return None


def _dated_address(joined: str) -> bool:
    """An attribution without a verb that cannot be the customer's: a date or time and an address in brackets."""
    return bool(_ADDRESSED.search(joined) and _DATEISH.search(_ADDRESSED.sub("", joined)))


def _header_block(lines: list[str], start: int, next_text: list[int]) -> bool:
    """Whether a From: label at `start` opens a header block: another label within the next few lines."""
    i = start
    for _ in range(HEADER_LOOKAHEAD):
        i = next_text[i + 1] if i + 1 < len(lines) else len(lines)
        if i >= len(lines):
            return False
        if _OTHER_LABEL.match(lines[i][:PREFIX]):
            return True
    return False
