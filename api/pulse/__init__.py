"""The account's pulse: cadence, staleness, the pulse read, the timeline and the account roll-up."""
