"""Texts to calibrate an int8 graph on: customer-success messages composed for Pulse, no data of anyone's.

Post-training quantization needs inputs that exercise the network as real traffic does (lengths,
vocabulary, tone); it needs no labels. These are composed deterministically from parts written for
Pulse, from one line to a long thread, in the tones the model must tell apart.
"""

from __future__ import annotations

import itertools

OPENINGS = ("Hi team,", "Hello Ana,", "Good morning,", "", "Quick update from our side.", "Dear support,")
MATTERS = (
    "the nightly export failed again and our finance close is blocked",
    "the new dashboards are popular with the analysts and adoption keeps growing",
    "could you send the invoice for March and the updated order form",
    "SSO has been down since this morning for all four hundred users",
    "the renewal paperwork is signed and we are looking forward to next year",
    "we would like to schedule training for five new colleagues in May",
    "the API keeps timing out at month end and our integration drops records",
    "your support engineer solved the migration issue within an hour, thank you",
    "we are evaluating a cheaper competitor before the budget review",
    "please add two seats for the analysts joining next week",
    "the release broke our approval workflow and the team is frustrated",
    "the quarterly business review went well and we want to expand to two more regions",
)
CLOSINGS = ("Thanks,", "Best regards,", "Please call me when you can.", "", "Cheers,", "Let us know.")
DETAILS = (
    "We opened a ticket on Monday and nobody has come back to us.",
    "Everything else is running smoothly.",
    "Our VP asked about it in this morning's meeting.",
    "No rush on this one.",
    "This is the third time this quarter.",
    "The team really appreciates the quick turnaround.",
)


def texts(count: int = 320) -> list[str]:
    """`count` messages of one to several sentences, a few long threads among them."""
    combos = itertools.product(range(len(MATTERS)), range(len(OPENINGS)), range(len(DETAILS)), range(len(CLOSINGS)))
    out: list[str] = []
    for n, (m, o, d, c) in enumerate(combos):
        if len(out) >= count:
            break
        if (n * 7919) % 5 == 0:  # an even spread over the combinations, deterministic
            sentences = [OPENINGS[o], f"{MATTERS[m][0].upper()}{MATTERS[m][1:]}.", DETAILS[d], CLOSINGS[c]]
            if n % 11 == 0:  # a long thread: several matters in one message
                sentences[2:2] = [f"Also, {MATTERS[(m + k) % len(MATTERS)]}." for k in range(1, 6)]
            out.append(" ".join(s for s in sentences if s))
    return out
