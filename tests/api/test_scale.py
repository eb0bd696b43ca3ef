"""A deployment's scale: Red / Yellow / Green by default, six points or a configured list, each point a colour."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.config import Settings
from api.users.models import User


def test_the_default_scale_is_the_three_colours_with_their_definitions(
        client: TestClient, emea_csm: tuple[User, dict[str, str]]) -> None:
    scale = client.get("/v1/scale", headers=emea_csm[1]).json()
    assert scale["name"] == "ryg" and [p["name"] for p in scale["points"]] == ["Red", "Yellow", "Green"]
    assert all(p["definition"] for p in scale["points"])
    assert client.get("/v1/scale").status_code == 401


def test_a_six_point_decision_records_the_point_and_its_colour(
        client: TestClient, settings: Settings, emea_csm: tuple[User, dict[str, str]],
        make_account: Callable[..., dict[str, Any]], post_message: Callable[..., dict[str, Any]]) -> None:
    settings.scale = "six"
    settings.guidelines = {"Severe risk": "Cancellation talk, or a competitor chosen.", "Green": "Happy."}
    scale = client.get("/v1/scale", headers=emea_csm[1]).json()
    assert scale["name"] == "six" and len(scale["points"]) == 6
    definitions = {p["name"]: p["definition"] for p in scale["points"]}
    assert definitions["Severe risk"] == "Cancellation talk, or a competitor chosen."
    assert definitions["Satisfied"] == "Happy."  # a colour's guideline covers its points without their own
    suggestion = post_message(make_account()["id"], "The export failed again, we are furious.")["suggestion"]
    url, headers = f"/v1/suggestions/{suggestion['id']}/decisions", emea_csm[1]
    unknown = client.post(url, headers=headers, json={"point": "Meh"})
    assert unknown.status_code == 422 and "point 'Meh' is not on the scale" in unknown.text
    clash = client.post(url, headers=headers, json={"point": "Severe risk", "label": "Green"})
    assert clash.status_code == 422 and "does not match point 'Severe risk'" in clash.text
    assert client.post(url, headers=headers, json={}).status_code == 422
    body: dict[str, Any] = {"point": "Severe risk"}
    if suggestion["label"] != "Red":
        body["override_reason"] = "missed_context"
    decided = client.post(url, headers=headers, json=body)
    assert decided.status_code == 201, decided.text
    assert (decided.json()["label"], decided.json()["point"]) == ("Red", "Severe risk")
    # The audit and the model keep working on colours.
    assert decided.json()["suggested_label"] == suggestion["label"]


@pytest.mark.parametrize(("scale", "fault"), [
    ("seven", "scale must be ryg, six or a JSON list"),
    ('[{"name": "Good", "colour": "Green"}, {"name": "Bad", "colour": "Red"}]', "none is Yellow"),
    ('[{"name": "A", "colour": "Red"}, {"name": "A", "colour": "Yellow"}, {"name": "B", "colour": "Green"}]',
     "distinct names"),
])
def test_a_bad_scale_stops_the_process_naming_the_fault(scale: str, fault: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(scale=scale)
    assert fault in str(raised.value)
