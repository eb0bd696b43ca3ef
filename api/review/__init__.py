"""The CSM's loop: the review queue (ranking, why, cursors), decisions (idempotency, If-Match, reasons)."""
