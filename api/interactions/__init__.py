"""Record: interactions, the customer texts; the one stored under an external id."""
