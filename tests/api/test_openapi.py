"""The OpenAPI document is the contract: it changes only on purpose.

A change of code layout must leave it byte-identical. A deliberate change of the API regenerates the
snapshot with `python -m tests.api.test_openapi` and shows the difference in review.
"""

from __future__ import annotations

import json
from pathlib import Path

from api.config import Settings
from api.main import create_app

SNAPSHOT = Path(__file__).with_name("openapi.json")


def document(database_url: str) -> str:
    """The app's OpenAPI document as the snapshot stores it."""
    app = create_app(Settings(database_url=database_url, log_format="text", log_level="ERROR"))
    try:
        return json.dumps(app.openapi(), indent=1)
    finally:
        app.state.limiter.close()
        app.state.engine.dispose()


def test_the_openapi_document_is_the_snapshot(tmp_path: Path) -> None:
    assert document(f"sqlite:///{tmp_path / 'openapi.db'}") == SNAPSHOT.read_text()


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        SNAPSHOT.write_text(document(f"sqlite:///{directory}/openapi.db"))
    print(f"wrote {SNAPSHOT}")
