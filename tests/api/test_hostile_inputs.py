"""Every operation of the OpenAPI document, fed hostile values in each parameter and body field, on SQLite and
PostgreSQL: NUL characters, lone surrogates, integers beyond 64 bits, extreme and out-of-range times, non-finite
numbers. No answer may be a 500 (schemathesis, in test_fuzz.py, explores the rest of the input space)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from fastapi.testclient import TestClient

from api.users.models import Role

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
