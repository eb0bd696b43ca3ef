"""JSON from a vendor's API, each request bounded: its time, its size, its retries and how long it waits.

A help desk's export (`zendesk_incremental`) reads pages of JSON over HTTPS. Every request here has a
deadline for the whole response (not only between bytes, so a server dripping one byte a second still ends),
a size cap read as the body arrives (decompressed), a bounded number of retries after 5xx answers and
network failures, and a capped wait after HTTP 429: a `Retry-After` longer than the cap ends the request with
a `FetchError` that says when to come back, instead of holding a worker for an hour. Redirects are not
followed, so a credential never travels to another host. What goes wrong is a `FetchError` naming the URL and
why; `transient` says whether trying again later may help.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class FetchLimits:
    """How much one request may cost."""

    timeout_s: float = 60.0  # the whole response, connection to last byte
    max_bytes: int = 16 * 1024 * 1024  # the body, decompressed
    retries: int = 4  # after a 5xx answer or a network failure (then the error is the caller's)
    rate_limited: int = 4  # waits after HTTP 429 before giving up
    max_wait_s: float = 120.0  # the longest Retry-After honoured; a longer one ends the request
    backoff_s: float = 2.0  # the first wait after a failure, doubled each time (capped at max_wait_s)


class FetchError(Exception):
    """A request that did not give a JSON object: where, why, and whether a later try may help."""

    def __init__(self, url: str, reason: str, *, status: int | None = None, transient: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(f"{url}: {reason}")
        self.url, self.reason, self.status = url, reason, status
        self.transient, self.retry_after = transient, retry_after


def checked_base(url: str) -> str:
    """A base URL without a trailing slash: https, or plain http on a loopback address (a test's server)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) URL with a host")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        raise ValueError(f"{url!r}: plain http is allowed only on a loopback address; use https")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"{url!r}: a base URL has no query, fragment or credentials (give them separately)")
    return url.rstrip("/")


class JsonFetcher:
    """GET requests answered with a JSON object, with the headers (the credential) given once."""

    def __init__(self, headers: Mapping[str, str], *, limits: FetchLimits | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.limits = limits or FetchLimits()
        self.sleep = sleep
        self.requests = 0
        self._client = httpx.Client(headers={"Accept": "application/json", **headers}, follow_redirects=False,
                                    timeout=httpx.Timeout(self.limits.timeout_s))

    def close(self) -> None:
        self._client.close()

    def get(self, url: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The JSON object at a URL, after the retries and waits the limits allow."""
        failures = waits = 0
        while True:
            try:
                return self._once(url, params)
            except FetchError as error:
                if error.status == 429 and waits < self.limits.rate_limited:
                    waits += 1
                    self.sleep(self._rate_wait(error))
                elif error.transient and error.status != 429 and failures < self.limits.retries:
                    failures += 1
                    self.sleep(min(error.retry_after or self.limits.backoff_s * 2 ** (failures - 1),
                                   self.limits.max_wait_s))
                else:
                    raise

    def _rate_wait(self, error: FetchError) -> float:
        wait = error.retry_after if error.retry_after is not None else self.limits.backoff_s
        if wait > self.limits.max_wait_s:
            raise FetchError(error.url, f"rate limited (HTTP 429) for {wait:.0f} s, longer than the "
                                        f"{self.limits.max_wait_s:.0f} s a request waits; try again later",
                             status=429, transient=True, retry_after=wait) from None
        return wait

    def _once(self, url: str, params: Mapping[str, str] | None) -> dict[str, Any]:
        self.requests += 1
        started = time.monotonic()
        try:
            with self._client.stream("GET", url, params=params) as response:
                _check_status(url, response)
                body = _bounded_body(url, response, self.limits, started)
        except httpx.DecodingError as error:
            raise FetchError(url, f"the body cannot be decompressed ({error})") from None
        except httpx.TimeoutException:
            raise FetchError(url, f"no complete answer within {self.limits.timeout_s:.0f} s",
                             transient=True) from None
        except httpx.RequestError as error:
            raise FetchError(url, f"cannot reach the server ({type(error).__name__}: {error})",
                             transient=True) from None
        return _json_object(url, body)


def _check_status(url: str, response: httpx.Response) -> None:
    status = response.status_code
    if status == 200:
        return
    wait = retry_after(response.headers.get("Retry-After"))
    if status == 429:
        raise FetchError(url, "rate limited (HTTP 429)", status=status, transient=True, retry_after=wait)
    if status >= 500:
        raise FetchError(url, f"the server failed (HTTP {status})", status=status, transient=True, retry_after=wait)
    if 300 <= status < 400:
        raise FetchError(url, f"redirected (HTTP {status}) to {response.headers.get('Location', 'nowhere')!r}; "
                              "not followed, so the credential stays with this host", status=status)
    if status in (401, 403):
        raise FetchError(url, f"the credential was refused (HTTP {status}); check the token and its e-mail",
                         status=status)
    raise FetchError(url, f"HTTP {status}", status=status)


def _bounded_body(url: str, response: httpx.Response, limits: FetchLimits, started: float) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise FetchError(url, f"the answer is {int(declared):,} bytes, more than the {limits.max_bytes:,} read")
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > limits.max_bytes:
            raise FetchError(url, f"the answer is more than the {limits.max_bytes:,} bytes read")
        if time.monotonic() - started > limits.timeout_s:
            raise FetchError(url, f"no complete answer within {limits.timeout_s:.0f} s", transient=True)
    return bytes(body)


def _json_object(url: str, body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise FetchError(url, "the answer is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise FetchError(url, f"the answer is not JSON ({error.msg} at line {error.lineno} column "
                              f"{error.colno}): {body[:80]!r}") from None
    except RecursionError:
        raise FetchError(url, "the answer is not JSON we read (nested too deeply)") from None
    except ValueError as error:  # a number of more than 4,300 digits, say
        raise FetchError(url, f"the answer is not JSON we read ({str(error)[:120]})") from None
    if not isinstance(document, dict):
        raise FetchError(url, f"the answer is JSON but not an object ({type(document).__name__})")
    return document


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())
