"""Property-based fuzzing of the whole API from its OpenAPI document (schemathesis, bounded in CI).

Every operation gets generated requests, valid and not, sent as an admin (who reaches every route)
and as a CSM: no answer may be a 500, and every documented answer must match its schema and content
type. A longer run outside CI: PULSE_FUZZ_EXAMPLES=500 pytest tests/api/test_fuzz.py.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance
from sqlmodel import Session

from api.accounts import service as accounts
from api.accounts.models import AccountCreate
from api.config import Settings
from api.db import make_engine, migrate
from api.intake import service as interactions
from api.interactions.models import InteractionCreate, InteractionKind
from api.main import create_app
from api.model_versions import service as model_versions
from api.model_versions.holder import ModelHolder
from api.users import service as users
from api.users.models import Role
from models import registry

EXAMPLES = int(os.environ.get("PULSE_FUZZ_EXAMPLES", "12"))
URL = f"sqlite:///{Path(tempfile.mkdtemp(prefix='pulse-fuzz-')) / 'fuzz.db'}"
SETTINGS = Settings(database_url=URL, model_dir=registry.ARTIFACTS_DIR / "baseline-tfidf", blind_share=0.0,
                    embedded_worker=False, rate_limit_per_minute=0, log_format="text", log_level="ERROR")
# The app's start-up reads the active model, and schemathesis starts it to read the schema: migrate first.
migrate(URL)
with Session(make_engine(URL)) as _session:
    model_versions.ensure_active(session=_session, directory=SETTINGS.model_dir or Path())
    _session.commit()  # records flush; whoever calls them commits
APP = create_app(SETTINGS)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module")
def callers() -> Iterator[dict[str, dict[str, str]]]:
    """An admin and a CSM, and an account with one message, so some generated ids reach real rows."""
    engine = make_engine(URL)
    with Session(engine) as session:
        admin, admin_key = users.create(session=session, name="fuzz admin", role=Role.ADMIN, team=None)
        csm, csm_key = users.create(session=session, name="fuzz csm", role=Role.CSM, team="emea")
        account = accounts.create(session=session, user=admin, data=AccountCreate(name="Fuzz", team="emea"))
        interactions.create(session=session, user=csm, settings=SETTINGS,
                            classifier=ModelHolder(SETTINGS.serving()).active(session),
                            data=InteractionCreate(account_id=account.id or 0, kind=InteractionKind.EMAIL,
                                                   body="The export failed again."))
    engine.dispose()
    yield {"admin": {"Authorization": f"Bearer {admin_key}"}, "csm": {"Authorization": f"Bearer {csm_key}"}}


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_request_gets_a_server_error_or_an_undocumented_answer(case: Any, callers: dict[str, Any]) -> None:
    for headers in callers.values():
        case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance,
                                                        content_type_conformance])
