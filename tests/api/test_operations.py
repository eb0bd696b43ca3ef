"""Health, metrics, body limits, authentication and model versions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.model_versions.models import ModelStatus, ModelVersion
from api.users.models import Role, User
from models.options import ServingOptions
from tests.conftest import UserFactory


def test_healthz_and_metrics(client: TestClient, emea_csm, make_account, post_message) -> None:
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["model_version"].startswith("tfidf-logreg-")
    client.get("/v1/accounts", headers=emea_csm[1])
    suggestion = post_message(make_account()["id"], "Thanks, all good")["suggestion"]
    client.post(f"/v1/suggestions/{suggestion['id']}/decisions", headers=emea_csm[1],
                json={"label": suggestion["label"]})
    metrics = client.get("/metrics").text
    assert 'pulse_http_requests_total{method="GET",route="/v1/accounts",status="200"} 1.0' in metrics
    assert "pulse_http_request_seconds_bucket" in metrics
    assert (f'pulse_suggestions_total{{label="{suggestion["label"]}",model_version="{suggestion["model_version"]}",'
            'scope="interaction"} 1.0') in metrics
    assert 'pulse_decisions_total{accepted="true",blind="false"} 1.0' in metrics


def test_a_body_over_256_kb_is_refused_with_413(client: TestClient, emea_csm) -> None:
    big = b'{"texts": ["' + b"a" * 300_000 + b'"]}'
    response = client.post("/v1/suggest", headers=emea_csm[1] | {"content-type": "application/json"}, content=big)
    assert response.status_code == 413
    assert response.json() == {"detail": "request body is larger than 262144 bytes"}

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is enforced while the body streams in
        for _ in range(40):
            yield b"a" * 10_000

    response = client.post("/v1/suggest", headers=emea_csm[1] | {"content-type": "application/json"},
                           content=chunks())
    assert response.status_code == 413


def test_keys_are_stored_only_as_hashes(client: TestClient, session: Session, make_user: UserFactory) -> None:
    user, headers = make_user(Role.LEAD, "emea")
    key = headers["Authorization"].removeprefix("Bearer ")
    row = session.exec(select(User).where(User.id == user.id)).one()
    assert key not in (row.api_key_hash, row.key_prefix) and len(row.api_key_hash) == 64
    assert client.get("/v1/accounts", headers=headers).status_code == 200
    row.disabled = True
    session.add(row)
    session.commit()
    refused = client.get("/v1/accounts", headers=headers)
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer"
    assert client.get("/v1/accounts", headers={"Authorization": "Basic abc"}).status_code == 401


def test_models_are_listed_and_promoted_by_data_scientists(client: TestClient, session: Session,
                                                           make_user: UserFactory, emea_csm) -> None:
    _, scientist = make_user(Role.DATA_SCIENTIST, None)
    listed = client.get("/v1/models", headers=emea_csm[1]).json()
    assert listed["count"] == 1 and listed["data"][0]["status"] == "active"
    version = listed["data"][0]["version"]
    assert client.post(f"/v1/models/{version}/promote", headers=emea_csm[1]).status_code == 403
    assert client.post("/v1/models/nope/promote", headers=scientist).status_code == 404
    promoted = client.post(f"/v1/models/{version}/promote", headers=scientist)
    assert promoted.status_code == 200 and promoted.json()["status"] == "active"
    assert session.exec(select(ModelVersion).where(ModelVersion.status == ModelStatus.ACTIVE)).one().version == version


def test_a_resealed_artifact_is_refused_against_the_registered_digest(engine, tiny_model, tmp_path) -> None:
    import json
    import shutil

    from api.model_versions import service as model_versions
    from api.model_versions.holder import ModelHolder
    from models.artifacts import ArtifactError, seal

    copy = tmp_path / "tampered"
    shutil.copytree(tiny_model, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    config = json.loads((copy / "config.json").read_text())
    config["temperature"] = 50.0  # flatten every probability
    (copy / "config.json").write_text(json.dumps(config))
    seal(copy, {k: v for k, v in manifest.items() if k != "files"})  # a consistent, re-sealed manifest

    with Session(engine) as session:
        with pytest.raises(ArtifactError, match="differs from the one registered"):
            model_versions.register(session=session, directory=copy)
        version = session.get(ModelVersion, manifest["version"])
        assert version is not None and version.artifact_path == str(tiny_model)
        version.artifact_path = str(copy)  # as if someone swapped the directory on disk
        with pytest.raises(ArtifactError, match="differs from the one registered"):
            ModelHolder(ServingOptions()).load(version)
