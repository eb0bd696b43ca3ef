"""Record: to-dos an account's pulse update left, each with an owner and a due date, completed by a person."""
