"""Load: CSMs reading their queues and deciding, and a stream of new customer messages (locust).

Run by tests/load/run.py, which prepares the database, the users and the data; the keys arrive in
the file named by PULSE_LOAD_KEYS.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from pathlib import Path
from typing import Any

from locust import HttpUser, between, task

from tests.load.texts import TEXTS

# Written by tests/load/run.py before locust starts; absent when run.py imports this module.
SETUP: dict[str, Any] = json.loads(Path(os.environ["PULSE_LOAD_KEYS"]).read_text()) if os.environ.get(
    "PULSE_LOAD_KEYS") else {"csm_keys": [], "accounts_by_team": {}}
CSM_KEYS: list[str] = SETUP["csm_keys"]
ACCOUNTS: dict[str, list[int]] = SETUP["accounts_by_team"]


class Csm(HttpUser):
    """A CSM working through their review queue."""

    weight = 10
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        index = random.randrange(len(CSM_KEYS))
        self.headers = {"Authorization": f"Bearer {CSM_KEYS[index]}"}
        self.pending: list[dict[str, Any]] = []

    @task(5)
    def read_queue(self) -> None:
        with self.client.get("/v1/suggestions?limit=20", headers=self.headers, name="GET /v1/suggestions",
                             catch_response=True) as response:
            if response.status_code == 200:
                self.pending = response.json()["data"]
            else:
                response.failure(f"{response.status_code}: {response.text[:120]}")

    @task(3)
    def decide(self) -> None:
        if not self.pending:
            return
        item = self.pending.pop(random.randrange(len(self.pending)))
        label = item["label"] or random.choice(["Red", "Yellow", "Green"])
        body: dict[str, Any] = {"label": label, "viewed_ms": random.randint(1500, 20000)}
        if item["label"] and random.random() < 0.2:  # now and then an override
            body["label"] = {"Red": "Yellow", "Yellow": "Green", "Green": "Red"}[item["label"]]
            body["override_reason"] = "missed_context"
        with self.client.post(f"/v1/suggestions/{item['id']}/decisions", json=body,
                              headers=self.headers | {"Idempotency-Key": str(uuid.uuid4())},
                              name="POST /v1/suggestions/[id]/decisions", catch_response=True) as response:
            # 409: a colleague decided it first (one wins, by design); anything else is an error.
            if response.status_code in (200, 201, 409):
                response.success()
            else:
                response.failure(f"{response.status_code}: {response.text[:120]}")

    @task(1)
    def read_account(self) -> None:
        self.client.get("/v1/accounts", headers=self.headers, name="GET /v1/accounts")


class Inbox(HttpUser):
    """New customer messages arriving from the integrations."""

    weight = 1
    wait_time = between(0.2, 0.6)

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {SETUP['integration_key']}"}

    @task
    def new_message(self) -> None:
        team = random.choice(list(ACCOUNTS))
        self.client.post("/v1/interactions", headers=self.headers, name="POST /v1/interactions", json={
            "account_id": random.choice(ACCOUNTS[team]), "kind": random.choice(["email", "ticket", "chat"]),
            "body": f"{random.choice(TEXTS)} (ref {uuid.uuid4().hex[:8]})", "external_id": uuid.uuid4().hex})
