"""Flow: labels people confirmed, with provenance, as JSONL or CSV and split by time for training."""
