"""Flow: the server-rendered pages, over the same services and team rules as the API."""
