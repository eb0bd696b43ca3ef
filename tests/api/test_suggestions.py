"""The review queue, stateless scoring and the reason lists."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from api.interactions.models import Interaction
from api.users.models import Role
from tests.conftest import UserFactory


def test_queue_puts_uncertain_items_and_near_renewals_first(client: TestClient, make_account, post_message,
                                                            emea_csm) -> None:
    near = make_account(name="Near", renewal_date=str(date.today() + timedelta(days=20)), arr=250000)
    far = make_account(name="Far", renewal_date=str(date.today() + timedelta(days=400)), arr=5000)
    text = "Could you send the invoice? The dashboard is slow but fine."
    a = post_message(far["id"], text)["suggestion"]
    b = post_message(near["id"], text)["suggestion"]
    c = post_message(far["id"], "Thank you so much, the release is excellent, we love it!")["suggestion"]
    page = client.get("/v1/suggestions", headers=emea_csm[1]).json()
    assert page["count"] == 3 and page["next_cursor"] is None
    ids = [s["id"] for s in page["data"]]
    assert ids[0] == b["id"]  # same uncertainty, but renewal in 20 days and high ARR
    priorities = [s["priority"] for s in page["data"]]
    assert priorities == sorted(priorities, reverse=True)
    assert set(ids) == {a["id"], b["id"], c["id"]}
    assert page["data"][0]["text"] == text

    first = client.get("/v1/suggestions?limit=2", headers=emea_csm[1]).json()
    second = client.get(f"/v1/suggestions?limit=2&cursor={first['next_cursor']}", headers=emea_csm[1]).json()
    assert [s["id"] for s in first["data"] + second["data"]] == ids and second["next_cursor"] is None

    client.post(f"/v1/suggestions/{b['id']}/decisions", headers=emea_csm[1], json={"label": b["label"]})
    pending = client.get("/v1/suggestions?status=pending", headers=emea_csm[1]).json()
    decided = client.get("/v1/suggestions?status=decided", headers=emea_csm[1]).json()
    assert b["id"] not in [s["id"] for s in pending["data"]] and pending["count"] == 2
    assert [s["id"] for s in decided["data"]] == [b["id"]]
    assert decided["data"][0]["decision"]["label"] == b["label"]
    assert client.get(f"/v1/suggestions?account_id={near['id']}&status=pending",
                      headers=emea_csm[1]).json()["count"] == 0


def test_queue_is_team_scoped_and_validates_input(client: TestClient, make_account, post_message,
                                                  make_user: UserFactory, emea_csm) -> None:
    account = make_account()
    suggestion = post_message(account["id"], "All good here, thanks")["suggestion"]
    _, other = make_user(Role.CSM, "americas")
    _, admin = make_user(Role.ADMIN, None)
    _, scientist = make_user(Role.DATA_SCIENTIST, None)
    assert client.get("/v1/suggestions", headers=other).json() == {"data": [], "count": 0, "next_cursor": None}
    assert client.get("/v1/suggestions", headers=admin).json()["count"] == 1
    assert client.get("/v1/suggestions", headers=scientist).status_code == 403
    assert client.get(f"/v1/suggestions/{suggestion['id']}", headers=other).status_code == 404
    own = client.get(f"/v1/suggestions/{suggestion['id']}", headers=emea_csm[1])
    assert own.status_code == 200 and own.json()["text"] == "All good here, thanks"
    assert client.get("/v1/suggestions?status=open", headers=emea_csm[1]).status_code == 422
    assert "limit must be at most 500" in client.get("/v1/suggestions?limit=501", headers=emea_csm[1]).text
    bad_cursor = client.get("/v1/suggestions?cursor=garbage", headers=emea_csm[1])
    assert bad_cursor.status_code == 422 and "cursor" in bad_cursor.json()["detail"]


def test_suggest_scores_without_storing(client: TestClient, session: Session, make_user: UserFactory,
                                       make_account: Callable[..., dict[str, Any]],
                                       post_message: Callable[..., dict[str, Any]]) -> None:
    _, scientist = make_user(Role.DATA_SCIENTIST, None)
    texts = ["Billing error again, payments on hold. Very disappointed.", "Thanks, great QBR, we want to expand."]
    response = client.post("/v1/suggest", headers=scientist, json={"texts": texts})
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["data"]) == 2 and body["model_version"].startswith("tfidf-logreg-")
    for item in body["data"]:
        assert set(item) == {"label", "probabilities", "confidence", "model_version", "explanation", "cues",
                             "language", "unsupported_language"}
        assert abs(sum(item["probabilities"].values()) - 1) < 1e-4
        # The suggested colour's probability, the likeliest.
        assert item["confidence"] == item["probabilities"][item["label"]] == max(item["probabilities"].values())
    assert session.exec(select(func.count()).select_from(Interaction)).one() == 0
    # The same text stored as an interaction carries the same confidence.
    stored = post_message(make_account()["id"], texts[0])["suggestion"]
    assert (stored["label"], stored["confidence"]) == (body["data"][0]["label"], body["data"][0]["confidence"])
    assert client.post("/v1/suggest", headers=scientist, json={"texts": []}).status_code == 422
    too_many = client.post("/v1/suggest", headers=scientist, json={"texts": ["x"] * 65})
    assert too_many.status_code == 422 and "at most 64" in too_many.json()["detail"]
    assert client.post("/v1/suggest", headers=scientist, json={"texts": "one"}).status_code == 422
    assert client.post("/v1/suggest", json={"texts": ["x"]}).status_code == 401


def test_reasons_are_listed_per_colour(client: TestClient, emea_csm) -> None:
    reasons = client.get("/v1/reasons", headers=emea_csm[1]).json()
    assert "champion_left" in reasons["sentiment_reasons"]["Red"]
    assert "expansion_interest" in reasons["sentiment_reasons"]["Green"]
    assert "missed_context" in reasons["override_reasons"]


def test_stale_accounts_rise_in_the_queue(client: TestClient, make_account, post_message, emea_csm) -> None:
    far = str(date.today() + timedelta(days=400))
    fresh = make_account(name="Fresh", renewal_date=far, arr=None)
    stale = make_account(name="Stale", renewal_date=far, arr=None)
    text = "Could you send the invoice? The dashboard is slow but fine."
    # Fresh gets a pulse today; Stale never had one.
    post_message(fresh["id"], "All good on our side, thanks.")
    rolled = client.post(f"/v1/accounts/{fresh['id']}/suggestions", headers=emea_csm[1]).json()
    assert client.post(f"/v1/suggestions/{rolled['id']}/decisions", headers=emea_csm[1],
                       json={"label": rolled["label"]}).status_code == 201
    on_fresh = post_message(fresh["id"], text)["suggestion"]
    on_stale = post_message(stale["id"], text)["suggestion"]
    flags = {a["name"]: a["stale"] for a in client.get("/v1/accounts", headers=emea_csm[1]).json()["data"]}
    assert flags == {"Fresh": False, "Stale": True}
    items = {s["id"]: s for s in client.get("/v1/suggestions", headers=emea_csm[1]).json()["data"]}
    queue = {i: s["priority"] for i, s in items.items()}
    # Same text, same model: the only difference is staleness (+0.5 on the weight)...
    assert queue[on_stale["id"]] == pytest.approx(queue[on_fresh["id"]] * 1.5, rel=1e-3)
    # ...and the queue says so.
    assert items[on_stale["id"]]["why"].endswith("× (1 + pulse overdue or missing (+0.5))")
    assert items[on_fresh["id"]]["why"].startswith("uncertainty ") and "overdue" not in items[on_fresh["id"]]["why"]


def test_a_text_in_a_language_the_model_does_not_read_is_marked_capped_and_ranked_up(
        client: TestClient, make_account, post_message, emea_csm, make_user: UserFactory) -> None:
    # The test model learnt from English text only, so it reads English (its config says so).
    account = make_account(name="Same", renewal_date=str(date.today() + timedelta(days=400)), arr=None)
    english = post_message(account["id"], "Billing error again, payments on hold. Very disappointed.")["suggestion"]
    german = post_message(account["id"], "Die Rechnung ist schon wieder falsch und niemand antwortet uns, "
                                         "das ist wirklich enttäuschend.")["suggestion"]
    short = post_message(account["id"], "ok, danke")["suggestion"]
    assert (english["language"], english["unsupported_language"]) == ("en", False)
    assert (german["language"], german["unsupported_language"]) == ("de", True)
    assert german["confidence"] <= 0.5 + 1e-6 and abs(sum(german["probabilities"].values()) - 1) < 1e-4
    assert (short["language"], short["unsupported_language"]) == ("und", False)  # too short to tell: no flag
    items = client.get("/v1/suggestions", headers=emea_csm[1]).json()["data"]
    assert items[0]["id"] == german["id"] and "language the model does not read" in items[0]["why"]

    for decided in (german, english):
        assert client.post(f"/v1/suggestions/{decided['id']}/decisions", headers=emea_csm[1],
                           json={"label": decided["label"]}).status_code == 201
    _, lead = make_user(Role.LEAD, "emea")
    languages = client.get("/v1/audit/summary", headers=lead).json()["per_language"]
    assert {code: row["n"] for code, row in languages.items()} == {"de": 1, "en": 1}
    assert languages["en"]["agreement"] == 1.0
    rows = client.get("/v1/decisions?language=de", headers=lead).json()
    assert rows["count"] == 1 and rows["data"][0]["suggestion_id"] == german["id"]
