"""Record: users, roles and hashed API keys."""
