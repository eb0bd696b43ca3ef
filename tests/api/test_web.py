"""The web pages' sign-in, CSRF, roles, escaping and redirects, in-process (the browser test drives the rest)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from api.users.models import Role

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in(client: TestClient, headers: dict[str, str], next_path: str = "/app") -> str:
    """Sign in with the key in the headers; returns the session's CSRF token."""
    page = client.get("/login")
    login = client.post("/login", data={"api_key": headers["Authorization"].split()[1],
                                        "csrf_token": TOKEN.search(page.text).group(1),  # type: ignore[union-attr]
                                        "next": next_path}, follow_redirects=False)
    assert login.status_code == 303 and "pulse_session" in login.headers["set-cookie"], login.text
    cookie = login.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    queue = client.get("/app/models")
    return TOKEN.search(queue.text).group(1)  # type: ignore[union-attr]


def test_pages_need_a_session_and_a_valid_key(client: TestClient) -> None:
    page = client.get("/app/queue?scope=account", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=%2Fapp%2Fqueue%3Fscope%3Daccount"
    form = client.get("/login")
    assert form.headers["content-security-policy"].startswith("default-src 'self'")
    wrong = client.post("/login", data={"api_key": "nope", "csrf_token": TOKEN.search(form.text).group(1)},  # type: ignore[union-attr]
                        follow_redirects=False)
    assert wrong.status_code == 303 and "error=That+API+key+is+unknown" in wrong.headers["location"]
    forged = client.post("/login", data={"api_key": "nope", "csrf_token": "forged"}, follow_redirects=False)
    assert "form+expired" in forged.headers["location"]


def test_forms_need_the_session_token_and_sign_out_ends_the_session(
        client: TestClient, emea_csm, make_account, post_message) -> None:
    account = make_account()
    posted = post_message(account["id"], "The export failed again.")
    token = sign_in(client, emea_csm[1], next_path="//evil.example/app")
    decide = f"/app/suggestions/{posted['suggestion']['id']}/decide"
    forged = client.post(decide, data={"csrf_token": "forged", "label": "Red"}, follow_redirects=False)
    assert forged.status_code == 403 and "security token" in forged.text
    suggestion = client.get(f"/v1/suggestions/{posted['suggestion']['id']}", headers=emea_csm[1]).json()
    assert suggestion["status"] == "pending"
    # A bad choice comes back as a message on the page it came from; an outside `next` is ignored.
    missing = client.post(decide, data={"csrf_token": token, "label": "", "next": "https://evil.example"},
                          follow_redirects=False)
    # It comes back to the same card, the message in words beside the field at fault.
    assert missing.headers["location"].startswith("/app/queue?retry=") and "field=label" in missing.headers["location"]
    assert "error=Choose%20a%20colour" in missing.headers["location"]
    label = posted["suggestion"]["label"]
    other = "Green" if label != "Green" else "Red"
    unexplained = client.post(decide, data={"csrf_token": token, "label": other}, follow_redirects=False)
    kept = unexplained.headers["location"]
    assert "Override%20reason%20is%20required" in kept and f"chosen={other}" in kept and "field=override_reason" in kept
    page = client.get(kept.split("#")[0])
    assert 'class="field-error" role="alert">Override reason is required' in page.text
    assert f'value="{other}" required checked' in page.text
    done = client.post(decide, data={"csrf_token": token, "label": label, "idempotency_key": "k1"},
                       follow_redirects=False)
    again = client.post(decide, data={"csrf_token": token, "label": label, "idempotency_key": "k1"},
                        follow_redirects=False)
    assert "notice=Accepted" in done.headers["location"] and "notice=Accepted" in again.headers["location"]
    decisions = client.get("/v1/decisions", headers=emea_csm[1]).json()
    assert decisions["count"] == 1  # the double submit was one decision

    out = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/app/queue", follow_redirects=False).status_code == 303


def test_roles_and_teams_get_the_api_answers_as_pages(client: TestClient, make_user, make_account, emea_csm,
                                                     post_message) -> None:
    account = make_account()
    post_message(account["id"], "We saw <script>alert('x')</script> in the export & it broke.")
    sign_in(client, emea_csm[1])
    queue = client.get("/app/queue")
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in queue.text and "<script>alert" not in queue.text
    audit = client.get("/app/audit")
    assert audit.status_code == 403 and "role csm cannot read the audit" in audit.text
    client.cookies.clear()
    _, rival = make_user(Role.CSM, "americas", "Rival")
    sign_in(client, rival)
    hidden = client.get(f"/app/accounts/{account['id']}")
    assert hidden.status_code == 404 and f"account {account['id']} not found" in hidden.text
    missing = client.get("/app/accounts/99999")
    assert missing.status_code == 404 and missing.text.replace("99999", str(account["id"])) == hidden.text
    client.cookies.clear()
    _, scientist = make_user(Role.DATA_SCIENTIST, None, "Sam")
    token = sign_in(client, scientist)
    assert client.get("/app/queue").status_code == 403
    models = client.get("/app/models")
    assert "<title>Models · Pulse</title>" in models.text and models.text.count("Shadow versions against") == 1
    assert models.status_code == 200 and "<button" not in models.text.split("<tbody>")[1]  # only the active version
    refused = client.post("/app/models/nope/promote", data={"csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 404 and "model version &#39;nope&#39; not found" in refused.text


def test_a_non_ascii_token_cookie_or_seal_is_refused_like_a_forged_one(client: TestClient, emea_csm) -> None:
    # hmac.compare_digest refuses str with non-ASCII characters: such a token must read as forged, not fail.
    form = client.get("/login")
    token = TOKEN.search(form.text).group(1)  # type: ignore[union-attr]
    for field, cookie in (("é" * 32, token), (token, "é" * 32)):
        forged = client.post("/login", data={"api_key": "nope", "csrf_token": field},
                             headers={b"Cookie": f"pulse_login_csrf={cookie}".encode()}, follow_redirects=False)
        assert forged.status_code == 303 and "form+expired" in forged.headers["location"], forged.text
    csrf = sign_in(client, emea_csm[1])
    for given in ("é" * len(csrf), "\u2603"):
        refused = client.post("/logout", data={"csrf_token": given}, follow_redirects=False)
        assert refused.status_code == 403 and "security token" in refused.text
    page = client.get("/app/models", params={"notice": "Re-enter your key at evil.example", "notice_seal": "é" * 32})
    assert page.status_code == 200 and "evil.example" not in page.text
    assert client.get("/app/queue", follow_redirects=False).status_code == 200  # still signed in
