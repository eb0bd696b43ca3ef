"""Fairness under one long request: does anybody else wait while a 200,000-character thread is scored?

A live `pulse serve` on a throwaway SQLite database is sent one long customer thread, through
`POST /v1/suggest` and then as an interaction, while a probe asks `/healthz` every 100 ms and another
user posts a one-sentence `/v1/suggest` every 250 ms. Reported: the long request's seconds, and p50 /
p99 / max milliseconds of the probes while it ran. Everything runs on loopback on this machine.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

SENTENCES = [
    "The nightly export to our warehouse failed again and the finance team had no numbers this morning.",
    "Your support engineer was quick and friendly, thank you for that.",
    "We still see duplicate invoices for the March billing run.",
    "Adoption in the sales team has doubled since the training last month.",
    "Nobody answered the ticket we opened on Tuesday, which is frustrating.",
    "Could you confirm the date of the next release and what it changes for the API?",
    "The new dashboards are exactly what our managers asked for.",
    "If the sync keeps breaking we will have to reconsider the renewal.",
]
SHORT = "The export failed again and we are furious."


def long_thread(characters: int = 200_000, seed: int = 3) -> str:
    """A customer thread of about this many characters, in paragraphs of varied sentences (nothing quoted)."""
    rng = random.Random(seed)
    paragraphs: list[str] = []
    size = 0
    while size < characters:
        paragraph = " ".join(rng.choice(SENTENCES) for _ in range(rng.randint(3, 6)))
        paragraphs.append(paragraph)
        size += len(paragraph) + 2
    return "\n\n".join(paragraphs)[:characters]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pulse(*args: str, env: dict[str, str]) -> str:
    pulse = str(Path(sys.executable).with_name("pulse"))
    done = subprocess.run([pulse, *args], env=env, capture_output=True, text=True, timeout=300, check=True)
    return done.stdout.strip()


def _figures(latencies: list[float]) -> dict[str, Any]:
    if not latencies:
        return {"n": 0}
    ms = np.array(latencies) * 1000
    return {"n": len(ms), "p50_ms": round(float(np.percentile(ms, 50)), 1),
            "p99_ms": round(float(np.percentile(ms, 99)), 1), "max_ms": round(float(ms.max()), 1)}


def _probe(http: httpx.Client, method: str, path: str, every_s: float, stop: threading.Event, out: list[float],
           **kwargs: Any) -> None:
    while True:  # at least once, however quickly the long request answers
        started = time.perf_counter()
        answer = http.request(method, path, **kwargs)
        if answer.status_code == 200:
            out.append(time.perf_counter() - started)
        if stop.wait(max(every_s - (time.perf_counter() - started), 0)):
            return


def _under_load(base: str, key: str, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """One long request, with /healthz and a one-sentence /v1/suggest probed beside it until it answers."""
    auth = {"Authorization": f"Bearer {key}"}
    health: list[float] = []
    short: list[float] = []
    stop = threading.Event()
    with httpx.Client(base_url=base, timeout=120) as long_client, httpx.Client(base_url=base, timeout=60) as a, \
            httpx.Client(base_url=base, timeout=60) as b:
        probes = [threading.Thread(target=_probe, args=(a, "GET", "/healthz", 0.1, stop, health)),
                  threading.Thread(target=_probe, args=(b, "POST", "/v1/suggest", 0.25, stop, short),
                                   kwargs={"headers": auth, "json": {"texts": [SHORT]}})]
        started = time.perf_counter()
        for probe in probes:
            probe.start()
        answer = long_client.request(method, path, headers=auth, json=body)
        seconds = time.perf_counter() - started
        stop.set()
        for probe in probes:
            probe.join(timeout=60)
    return {"status": answer.status_code, "long_request_s": round(seconds, 2), "healthz": _figures(health),
            "one_sentence_suggest": _figures(short)}


def run(model_dir: Path, characters: int = 200_000) -> dict[str, Any]:
    """Serve the model on a throwaway database and measure fairness beside one long request, both ways."""
    directory = Path(tempfile.mkdtemp(prefix="pulse-fairness-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_") or k == "PULSE_CACHE_DIR"} | {
        "PULSE_DATABASE_URL": f"sqlite:///{directory / 'fairness.db'}", "PULSE_MODEL_DIR": str(model_dir),
        "PULSE_LOG_LEVEL": "WARNING", "PULSE_RATE_LIMIT_PER_MINUTE": "0", "PULSE_BLIND_SHARE": "0"}
    _pulse("migrate", env=env)
    key = _pulse("users", "create", "--name", "fairness bench", "--role", "admin", env=env)
    port = _free_port()
    pulse = str(Path(sys.executable).with_name("pulse"))
    with (directory / "serve.log").open("wb") as log:
        server = subprocess.Popen([pulse, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=log, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        auth = {"Authorization": f"Bearer {key}"}
        account = httpx.post(f"{base}/v1/accounts", headers=auth, timeout=30,
                             json={"name": "Long threads Inc", "team": "bench"}).json()["id"]
        thread = long_thread(characters)
        return {"characters": len(thread),
                "suggest": _under_load(base, key, "POST", "/v1/suggest", {"texts": [thread]}),
                "interaction": _under_load(base, key, "POST", "/v1/interactions",
                                           {"account_id": account, "kind": "email", "body": thread})}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
