"""suggestions."""
