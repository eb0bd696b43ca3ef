"""Record: a shadow version's silent predictions, kept apart from what the queue serves."""
