"""The sentiment classifier: labels, the classifier interface, artifacts and their loading."""
