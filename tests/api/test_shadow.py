"""Shadow versions score live text silently; the comparison uses the same human decisions; promotion shows them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.config import Settings
from api.intake.backfill import enqueue_backfill
from api.jobs.models import JobKind
from api.model_versions import service as model_versions
from api.shadows.models import ShadowPrediction
from api.suggestions.models import Suggestion
from api.users.models import Role
from api.worker import Worker
from tests.api.test_webhooks import drain

MESSAGES = ["The export failed again and nobody answered our ticket.",
            "Great quarter, adoption is up across every team.",
            "Could you send the March invoice with our new VAT number?",
            "We are evaluating other vendors because support is too slow."]


def agreement(model: Sequence[str], human: Sequence[str]) -> float:
    return round(sum(m == h for m, h in zip(model, human, strict=True)) / len(human), 4)


def test_a_shadow_version_is_compared_with_people_and_shown_once_promoted(
        client: TestClient, engine: Engine, settings: Settings, make_user, make_account, post_message, emea_csm,
        second_model: Path) -> None:
    headers = emea_csm[1]
    _, scientist = make_user(Role.DATA_SCIENTIST, None, "Sam")
    _, lead = make_user(Role.LEAD, "emea", "Lee")
    with Session(engine) as session:
        version = model_versions.register(session=session, directory=second_model).version
        session.commit()  # records flush; whoever calls them commits
        active = model_versions.get_active(session=session)
        assert active is not None
        active_version = active.version
    assert client.post(f"/v1/models/{version}/shadow", headers=headers).status_code == 403
    refused = client.post(f"/v1/models/{active_version}/shadow", headers=scientist)
    assert refused.status_code == 409 and "is the active version" in refused.json()["detail"]
    shadowed = client.post(f"/v1/models/{version}/shadow", headers=scientist)
    assert shadowed.status_code == 200 and shadowed.json()["status"] == "shadow"

    account = make_account()
    posted = [post_message(account["id"], text) for text in MESSAGES]
    drain(Worker(engine, settings, kinds=[JobKind.SCORE]), engine)
    with Session(engine) as session:
        silent = {s.interaction_id: s for s in session.exec(select(ShadowPrediction))}
        shown_by_it = session.exec(select(Suggestion).where(Suggestion.model_version == version)).all()
    assert len(silent) == 4 and {s.model_version for s in silent.values()} == {version}
    queue = client.get("/v1/suggestions?scope=interaction", headers=headers).json()
    assert queue["count"] == 4 and {s["model_version"] for s in queue["data"]} == {active_version}
    assert shown_by_it == []  # nothing of the shadow version reaches the queue

    # People decide three of the four (one of them served blind: blindness is the server's record, so the
    # test marks the row as a blind serving would); each decision judges both versions.
    with Session(engine) as session:
        served_blind = session.get(Suggestion, posted[2]["suggestion"]["id"])
        assert served_blind is not None
        served_blind.blind = True
        session.add(served_blind)
        session.commit()
    chosen = ["Red", "Green", "Yellow"]
    for item, label, blind in zip(posted, chosen, [False, False, True], strict=False):
        suggestion = item["suggestion"]
        body = {"label": label}
        if label != suggestion["label"] and not blind:
            body["override_reason"] = "missed_context"
        assert client.post(f"/v1/suggestions/{suggestion['id']}/decisions", headers=headers,
                           json=body).status_code == 201
    compared = client.get(f"/v1/audit/shadow?version={version}", headers=lead).json()
    shown = [p["suggestion"]["label"] for p in posted[:3]]
    shadow_labels = [silent[p["interaction"]["id"]].label for p in posted[:3]]
    assert compared["active_versions"] == [active_version]
    assert compared["all"]["n"] == 3 and compared["blind"]["n"] == 1
    assert compared["all"]["active_agreement"] == agreement(shown, chosen)
    assert compared["all"]["shadow_agreement"] == agreement(shadow_labels, chosen)
    assert compared["blind"]["shadow_agreement"] == float(shadow_labels[2] == "Yellow")
    assert client.get("/v1/audit/shadow?version=nope", headers=lead).status_code == 404
    assert client.get(f"/v1/audit/shadow?version={version}", headers=headers).status_code == 403

    # Promoted, the version's silent suggestion on the undecided message is what people now see.
    assert client.post(f"/v1/models/{version}/promote", headers=scientist).status_code == 200
    with Session(engine) as session:
        assert enqueue_backfill(session, version=version) == 1
    drain(Worker(engine, settings, kinds=[JobKind.SCORE]), engine)
    [pending] = client.get("/v1/suggestions?scope=interaction", headers=headers).json()["data"]
    revealed = silent[posted[3]["interaction"]["id"]]
    assert pending["model_version"] == version and pending["interaction_id"] == revealed.interaction_id
    assert pending["probabilities"] == revealed.probabilities and pending["label"] == revealed.label
    with Session(engine) as session:  # moved, not copied
        assert session.exec(select(ShadowPrediction).where(ShadowPrediction.interaction_id ==
                                                           revealed.interaction_id)).all() == []
