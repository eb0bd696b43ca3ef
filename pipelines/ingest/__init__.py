"""Reading customer messages out of mail files and exports, without touching the database."""
