"""Flow: erasure of an account's customer texts everywhere, keeping the decision counts."""
