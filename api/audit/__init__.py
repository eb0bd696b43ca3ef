"""Flow: the lead's audit of people against the model: agreement, direction, rubber-stamping, anchoring, trends."""
