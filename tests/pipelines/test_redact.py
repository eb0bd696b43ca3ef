"""PII redaction: addresses and real phone numbers go, order numbers and dates stay."""

from __future__ import annotations

from pipelines.redact import redact_pii


def test_addresses_and_phone_numbers_are_replaced_but_not_order_numbers() -> None:
    text = ("Reach me at ana.souza+cs@northwind.example or on +1 (415) 555-0132; our London desk is "
            "020 7946 0958. Order 12345 from 2026-11-03 is still missing.")
    assert redact_pii(text, ["US", "GB"]) == (
        "Reach me at [email] or on [phone]; our London desk is [phone]. Order 12345 from 2026-11-03 is still "
        "missing.")


def test_text_without_personal_data_is_unchanged() -> None:
    assert redact_pii("The export failed again.") == "The export failed again."
