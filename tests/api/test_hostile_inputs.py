"""Every operation of the OpenAPI document, fed hostile values in each parameter and body field, on SQLite and
PostgreSQL: NUL characters, lone surrogates, integers beyond 64 bits, extreme and out-of-range times, non-finite
numbers. No answer may be a 500 (schemathesis, in test_fuzz.py, explores the rest of the input space)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.users.models import Role
from api.web import models_pages as web_models
from api.web import routes as web
from api.web import writing as web_writing
from tests.api.test_web import sign_in

HOSTILE_TEXT = ["a\u0000b", "\ud800", "x\udfff", "\u0000"]
HOSTILE_NUMBERS = [2**63, -(2**63) - 1, 10**30]
HOSTILE_TIMES = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00", "9999-12-31T23:59:59+00:00"]
HOSTILE_FLOATS = ["Infinity", "NaN", "-Infinity"]


def hostile_values(schema: dict[str, Any]) -> list[Any]:
    """The hostile values that suit a field's schema (raw JSON text for floats, which json.dumps cannot write)."""
    kinds = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
    formats = {schema.get("format")} | {s.get("format") for s in schema.get("anyOf", [])}
    values: list[Any] = []
    if "string" in kinds:
        values += HOSTILE_TIMES if "date-time" in formats else HOSTILE_TEXT
    if "integer" in kinds:
        values += HOSTILE_NUMBERS
    if "number" in kinds:
        values += [RawJson(v) for v in HOSTILE_FLOATS]
    return values


class RawJson(str):
    """A value written into the JSON body as it is (Infinity, NaN)."""


def body_with(fields: dict[str, Any], name: str, value: Any) -> bytes:
    """A JSON object of placeholder fields with one of them hostile."""
    parts = []
    for field, schema in fields.items():
        item = value if field == name else placeholder(schema)
        parts.append(f"{json.dumps(field)}: {item if isinstance(item, RawJson) else json.dumps(item)}")
    return ("{" + ", ".join(parts) + "}").encode()


def placeholder(schema: dict[str, Any]) -> Any:
    kinds = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
    if "integer" in kinds or "number" in kinds:
        return 1
    if "array" in kinds:
        return ["text"]
    if "boolean" in kinds:
        return False
    return "text"


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def requests(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, request keyword arguments) for every hostile value in every field of every operation."""
    out: list[tuple[str, str, dict[str, Any]]] = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            params = operation.get("parameters", [])
            fill = {p["name"]: "1" for p in params if p["in"] == "path"}
            for param in params:
                for value in hostile_values(param.get("schema", {})):
                    # Percent-encoded by hand: an HTTP client will not encode a lone surrogate itself.
                    encoded = quote(str(value).encode("utf-8", "surrogatepass"), safe="")
                    if param["in"] == "path":
                        out.append((method, path.format(**(fill | {param["name"]: encoded})), {}))
                    elif param["in"] == "query":
                        out.append((method, f"{path.format(**fill)}?{param['name']}={encoded}", {}))
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if content:
                fields = resolve(spec, content["schema"]).get("properties", {})
                for name, schema in fields.items():
                    for value in hostile_values(resolve(spec, schema)):
                        out.append((method, path.format(**fill), {
                            "content": body_with(fields, name, value),
                            "headers": {"Content-Type": "application/json"}}))
    return out


def test_no_operation_answers_a_hostile_value_with_a_server_error(client: TestClient, make_user) -> None:
    _, admin = make_user(Role.ADMIN, None)
    _, csm = make_user(Role.CSM, "emea")
    spec = client.get("/openapi.json").json()
    cases = requests(spec)
    assert len(cases) > 50
    failures = []
    for method, path, kwargs in cases:
        extra = {k: v for k, v in kwargs.items() if k != "headers"}
        for caller in (admin, csm):
            answer = client.request(method.upper(), path, headers=caller | kwargs.get("headers", {}), **extra)
            if answer.status_code >= 500:
                failures.append((method, path, extra, answer.status_code, answer.text[:200]))
    assert failures == []


ID_VALUES = [2**31, 2**63 - 1, 2**63]  # just past a 32-bit key, the largest 64-bit one, just past that
ID_RANGE = "must be between 1 and 2147483647"


def is_id(name: str, schema: dict[str, Any]) -> bool:
    kinds = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
    return "integer" in kinds and (name == "id" or name.endswith("_id"))


def id_fields(spec: dict[str, Any], schema: dict[str, Any], prefix: tuple[str | int, ...] = ()
              ) -> list[tuple[str | int, ...]]:
    """The path of every id field in a JSON body schema, arrays of objects included (`todos.0.owner_id`)."""
    schema = resolve(spec, schema)
    found: list[tuple[str | int, ...]] = []
    for name, field in schema.get("properties", {}).items():
        for variant in [resolve(spec, field)] + [resolve(spec, s) for s in field.get("anyOf", [])]:
            if variant.get("type") == "array" and "items" in variant:
                found += id_fields(spec, variant["items"], (*prefix, name, 0))
        if is_id(name, resolve(spec, field)):
            found.append((*prefix, name))
    return found


def with_value(spec: dict[str, Any], schema: dict[str, Any], target: tuple[str | int, ...], value: Any) -> Any:
    """A JSON value of placeholder fields with `value` at `target`."""
    if not target:
        return value
    schema = resolve(spec, schema)
    variants = [schema] + [resolve(spec, s) for s in schema.get("anyOf", [])]
    if isinstance(target[0], int):
        items = next(v["items"] for v in variants if v.get("type") == "array")
        return [with_value(spec, items, target[1:], value)]
    fields = next(v["properties"] for v in variants if "properties" in v)
    return {name: with_value(spec, field, target[1:], value) if name == target[0] else placeholder(field)
            for name, field in fields.items()}


def id_requests(spec: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(method, path, field, request keyword arguments) for every id value in every id field of every operation."""
    out: list[tuple[str, str, str, dict[str, Any]]] = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            params = operation.get("parameters", [])
            fill = {p["name"]: "1" for p in params if p["in"] == "path"}
            for param in (p for p in params if is_id(p["name"], p.get("schema", {}))):
                for value in ID_VALUES:
                    if param["in"] == "path":
                        out.append((method, path.format(**(fill | {param["name"]: value})), param["name"], {}))
                    else:
                        out.append((method, f"{path.format(**fill)}?{param['name']}={value}", param["name"], {}))
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            for target in id_fields(spec, content["schema"]) if content else []:
                for value in ID_VALUES:
                    out.append((method, path.format(**fill), ".".join(map(str, target)),
                                {"json": with_value(spec, content["schema"], target, value)}))
    return out


def test_every_id_beyond_the_key_columns_answers_422_naming_the_range(client: TestClient, make_user) -> None:
    """Ids are 32-bit keys on PostgreSQL: 2^31 and beyond must be a 422 that says the range, never a 500."""
    _, admin = make_user(Role.ADMIN, None)
    _, csm = make_user(Role.CSM, "emea")
    cases = id_requests(client.get("/openapi.json").json())
    fields = {(method, path.split("?")[0], field) for method, path, field, _ in cases}
    assert {"todos.0.owner_id", "owner_id", "suggestion_id", "account_id", "todo_id"} <= {f for *_, f in fields}
    assert len(fields) >= 24
    failures = []
    for method, path, field, kwargs in cases:
        answers = [client.request(method.upper(), path, headers=caller, **kwargs) for caller in (admin, csm)]
        # A role refused before validation answers 403; whoever may call the route must get the range.
        if not any(a.status_code == 422 and any(e["field"] == field and ID_RANGE in e["message"]
                                                for e in a.json()["errors"]) for a in answers) \
                or any(a.status_code not in (403, 422) for a in answers):
            failures.append((method, path, field, [(a.status_code, a.text[:160]) for a in answers]))
    assert failures == []


def test_every_id_in_the_pages_beyond_the_key_columns_is_refused(client: TestClient, make_user, make_account,
                                                                   post_message, emea_csm) -> None:
    """The pages' id paths, query strings and form fields refuse what the key columns cannot hold, never a 500."""
    _, lead = make_user(Role.LEAD, "emea")
    suggestion = post_message(make_account()["id"], "The export failed again.")["suggestion"]
    token = sign_in(client, lead)
    pages = [route for router in (web.router, web_writing.router, web_models.router) for route in router.routes
             if isinstance(route, APIRoute)]
    cases: list[tuple[str, str, dict[str, Any]]] = []
    for route in pages:
        method = sorted(route.methods or {"GET"})[0]
        fill = {p.name: "1" for p in route.dependant.path_params}
        ids = [p for p in (route.dependant.path_params + route.dependant.query_params + route.dependant.body_params)
               if p.name.endswith("_id")]
        for param in ids:
            for value in ID_VALUES:
                if param in route.dependant.path_params:
                    cases.append((method, route.path.format(**(fill | {param.name: value})), {}))
                elif param in route.dependant.query_params:
                    cases.append((method, f"{route.path.format(**fill)}?{param.name}={value}", {}))
                else:
                    cases.append((method, route.path.format(**fill), {"data": {"csrf_token": token, "label": "Red",
                                                                               param.name: str(value)}}))
    assert len(cases) >= 7 * len(ID_VALUES)
    failures = []
    for method, path, kwargs in cases:
        answer = client.request(method, path, follow_redirects=False, **kwargs)
        if answer.status_code != 422 or ID_RANGE not in answer.text:
            failures.append((method, path, answer.status_code, answer.text[-300:]))
    for value in ID_VALUES:  # the decision form's to-do owner reaches the API's todos[].owner_id
        answer = client.post(f"/app/suggestions/{suggestion['id']}/decide", follow_redirects=True, data={
            "csrf_token": token, "label": suggestion["label"], "todo_title": "Call them", "todo_owner": str(value),
            "todo_due": "2030-01-01"})
        if answer.status_code != 200 or ID_RANGE not in answer.text:
            failures.append(("POST", "decide todo_owner", answer.status_code, answer.text[-300:]))
    assert failures == []
