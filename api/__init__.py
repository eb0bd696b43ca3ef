"""The Pulse service: HTTP API, tables, migrations and the command line."""
