"""Record: accounts (customer companies) and their e-mail domains; creation and team-scoped reads."""
