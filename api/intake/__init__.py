"""Text coming in: interactions scored on write, stateless scoring, ingestion of exports, backfill scoring."""
