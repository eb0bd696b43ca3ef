"""A team of simulated CSMs deciding real labelled messages through the HTTP API, and what the audit says.

Each CSM works their own account's queue as a person would: read a page of the queue, open each item (the
honest kinds), decide it, read the queue again; check items' copies join their queue as the server serves
them. Their choices follow a role, from the message's human label (the truth):

- honest: the truth;
- rosy-25, rosy-20: a non-Green truth moved one step greener 25% (20%) of the time;
- harsh-40, harsh-25: a non-Red truth moved one step redder 40% (25%) of the time;
- rubber: accepts whatever is shown without opening the item, and sends `viewed_ms: 9000` every time (the
  client's timing says nothing); on a blind item it answers Red at once;
- anchored: copies the shown suggestion 80% of the time, decides honestly when blind.

Before they start, a lead decides calibration messages and marks them as check items with their true
colour. Messages are the airline set's human-labelled customer messages from `../shared` (read when present,
never copied into the project); the model is a TF-IDF version trained on its training split.

    python -m tests.api.audit_simulation --seeds 1-20     # the report, outside the test suite
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.config import Settings
from api.db import make_engine, migrate
from api.main import create_app
from api.model_versions import service as model_versions
from api.users import service as users
from api.users.models import Role
from training.datasets import read_csv
from training.train import train_baseline

AIRLINE = Path(__file__).resolve().parents[3] / "shared" / "data" / "airline"
STEPS = ["Red", "Yellow", "Green"]
PER_CSM = 120
ROUNDS = 12
CALIBRATION = 40
ROLES = ["honest"] * 5 + ["rosy-25", "rosy-20", "harsh-40", "harsh-25", "rubber", "anchored"]
LEANS = {"rosy-25": ("rosier", 0.25), "rosy-20": ("rosier", 0.20), "harsh-40": ("harsher", 0.40),
         "harsh-25": ("harsher", 0.25)}
# Enough check items at 120 decisions to see a rubber-stamper accept decoy after decoy; at the default
# 3% a person needs about 400 decisions for the same number of decoys.
CHECK_SHARE = 0.15
BLIND_SHARE = 0.25


def labelled_messages() -> list[tuple[str, str]]:
    """(text, human label) of the airline set's dev and training splits."""
    rows: list[tuple[str, str]] = []
    for name in ("dev.csv", "train.csv"):
        with (AIRLINE / name).open(newline="") as handle:
            rows += [(r["text"], r["label"]) for r in csv.DictReader(handle)]
    return rows


def train_model(out: Path) -> Path:
    """A TF-IDF version trained on the airline training split: the audit studied on its own domain."""
    train_baseline(read_csv(AIRLINE / "train.csv"), out)
    return out


@dataclass
class Outcome:
    """What one seed's audit said, and what the simulation knows to be true."""

    seed: int
    people: dict[str, dict[str, Any]]
    expected_anchoring: float
    n_decisions: dict[str, int] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)


def choose(role: str, truth: str, shown: str | None, rng: random.Random) -> str:
    """What each kind of CSM picks."""
    if role == "rubber":
        return shown or "Red"
    if role == "anchored" and shown is not None and rng.random() < 0.8:
        return shown
    step = STEPS.index(truth)
    lean = LEANS.get(role)
    if lean and lean[0] == "rosier" and truth != "Green" and rng.random() < lean[1]:
        return STEPS[step + 1]
    if lean and lean[0] == "harsher" and truth != "Red" and rng.random() < lean[1]:
        return STEPS[step - 1]
    return truth


@contextmanager
def team(model: Path, seed: int) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    """A fresh service and database with a lead and one CSM per role."""
    # In memory-backed storage where there is some: the simulation commits thousands of times.
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as folder:
        url = f"sqlite:///{Path(folder) / 'simulation.db'}"
        migrate(url)
        engine = make_engine(url)
        headers: dict[str, dict[str, str]] = {}
        with Session(engine) as session:
            model_versions.ensure_active(session=session, directory=model)
            session.commit()  # records flush; whoever calls them commits
            for index, role in enumerate(ROLES):
                _, key = users.create(session=session, name=f"{role}-{index}", role=Role.CSM, team="emea")
                headers[f"{role}-{index}"] = {"Authorization": f"Bearer {key}"}
            _, key = users.create(session=session, name="lead", role=Role.LEAD, team="emea")
            headers["lead"] = {"Authorization": f"Bearer {key}"}
            session.commit()  # records flush; whoever calls them commits
        engine.dispose()
        settings = Settings(database_url=url, model_dir=model, blind_share=BLIND_SHARE, check_share=CHECK_SHARE,
                            random_seed=seed, log_format="text", log_level="WARNING", embedded_worker=False,
                            rate_limit_per_minute=0, batch_max_wait_ms=0)
        with TestClient(create_app(settings)) as client:
            yield client, headers


def post(client: TestClient, headers: dict[str, str], account: int, text: str) -> dict[str, Any] | None:
    """One message through the API; None when nothing is left of it once cleaned (a bare quote)."""
    answer = client.post("/v1/interactions", headers=headers, json={"account_id": account, "kind": "chat",
                                                                      "body": text})
    if answer.status_code == 422:
        return None
    assert answer.status_code == 201, answer.text
    return dict(answer.json()["suggestion"])


def decide(client: TestClient, headers: dict[str, str], item: dict[str, Any], label: str, viewed: int) -> None:
    body: dict[str, Any] = {"label": label, "viewed_ms": viewed}
    if item["label"] is not None and label != item["label"]:
        body["override_reason"] = "missed_context"
    answer = client.post(f"/v1/suggestions/{item['id']}/decisions", headers=headers, json=body)
    assert answer.status_code == 201, answer.text


def run(seed: int, messages: list[tuple[str, str]], model: Path, keep_rows: bool = False) -> Outcome:
    """One simulated team, start to finish, and the audit's answer."""
    rng = random.Random(seed)
    pool = iter(rng.sample(messages, len(messages)))
    truths: dict[str, str] = {}
    with team(model, seed) as (client, headers):
        lead = headers["lead"]
        calibration = client.post("/v1/accounts", headers=lead, json={"name": "Calibration"}).json()["id"]
        marked = 0
        while marked < CALIBRATION:
            text, truth = next(pool)
            item = post(client, lead, calibration, text)
            if item is None or item["text"] in truths:
                continue
            truths[item["text"]] = truth  # by the text as stored (cleaned), which the queue shows
            decide(client, lead, item, truth, rng.randint(4_000, 45_000))
            checked = client.post("/v1/checks", headers=lead, json={"suggestion_id": item["id"], "label": truth})
            assert checked.status_code == 201, checked.text
            marked += 1
        shown_right = shown_n = 0
        accounts = {}
        for index, role in enumerate(ROLES):
            accounts[f"{role}-{index}"] = client.post("/v1/accounts", headers=lead,
                                                      json={"name": f"Account of {role}-{index}"}).json()["id"]
        # In rounds, everyone a few messages at a time, so all work under the same conditions (the server's
        # clock is judged against peers): each posts their next messages, then works their queue empty.
        for _ in range(ROUNDS):
            for index, role in enumerate(ROLES):
                name = f"{role}-{index}"
                mine, account = headers[name], accounts[name]
                posted = 0
                while posted < PER_CSM // ROUNDS:
                    text, truth = next(pool)
                    item = post(client, mine, account, text)
                    if item is not None and item["text"] not in truths:
                        truths[item["text"]] = truth
                        posted += 1
                while page := client.get("/v1/suggestions", headers=mine, params={"limit": 25}).json()["data"]:
                    for item in page:
                        if role != "rubber":  # people read before deciding (a minute, scaled down); the
                            time.sleep(rng.uniform(0.003, 0.009))  # rubber-stamper does not
                        truth = truths[item["text"]]
                        label = choose(role, truth, item["label"], rng)
                        if role == "anchored" and item["label"] is not None and item["account_id"] == account:
                            shown_n += 1
                            shown_right += item["label"] == truth
                        decide(client, mine, item, label, 9_000 if role == "rubber" else rng.randint(4_000, 45_000))
        summary = client.get("/v1/audit/summary", headers=lead).json()
        outcome = Outcome(seed=seed, people={p["name"]: p for p in summary["per_user"]},
                          expected_anchoring=0.8 * (1 - shown_right / shown_n))
        if keep_rows:
            outcome.summary, outcome.rows = summary, all_decisions(client, lead)
    return outcome


def all_decisions(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    while True:
        page = client.get("/v1/decisions", headers=headers,
                          params={"current": "true", "limit": 1000, "offset": len(rows)}).json()
        rows += page["data"]
        if len(rows) >= page["count"]:
            return rows


def run_all(seeds: list[int], model: Path, keep_rows_of: int | None = None, processes: int = 2) -> list[Outcome]:
    """Every seed, on `processes` fresh processes (each builds its own service; nothing is shared)."""
    messages = labelled_messages()
    with ProcessPoolExecutor(processes, mp_context=get_context("spawn")) as pool:
        return list(pool.map(_run_one, [(seed, messages, model, seed == keep_rows_of) for seed in seeds]))


def _run_one(job: tuple[int, list[tuple[str, str]], Path, bool]) -> Outcome:
    return run(*job)


def rates(outcomes: list[Outcome]) -> dict[str, Any]:
    """Across seeds: how often each role was flagged, and the audit's own minimum detectable effects."""
    flagged: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    mde: dict[str, list[float]] = defaultdict(list)
    excess: dict[str, list[float]] = defaultdict(list)
    covered = 0
    for outcome in outcomes:
        for name, person in outcome.people.items():
            role = name.rsplit("-", 1)[0]
            seen[role] += 1
            wanted = LEANS.get(role, ("rosier", 0))[0]
            if role in LEANS:
                flagged[role] += person["lean"] == wanted
                mde[role].append(person[f"{wanted}_mde"])
                excess[role].append(person[f"{wanted}_excess"])
            elif role == "rubber":
                flagged[role] += person["rubber_stamp"]
            else:
                flagged[role] += person["flagged"] or person["rubber_stamp"]
        anchored = next(p for n, p in outcome.people.items() if n.startswith("anchored"))["anchoring"]
        covered += anchored["ci_low"] <= outcome.expected_anchoring <= anchored["ci_high"]
    return {"flag_rate": {role: flagged[role] / seen[role] for role in seen},
            "mean_mde": {role: sum(v) / len(v) for role, v in mde.items()},
            "mean_excess": {role: sum(v) / len(v) for role, v in excess.items()},
            "anchoring_covered": covered / len(outcomes), "seeds": len(outcomes)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="1-10", help="a range such as 1-20")
    parser.add_argument("--details", action="store_true", help="each seed's flagged and planted people")
    args = parser.parse_args()
    first, _, last = args.seeds.partition("-")
    with tempfile.TemporaryDirectory() as folder:
        model = train_model(Path(folder) / "airline-tfidf")
        outcomes = run_all(list(range(int(first), int(last or first) + 1)), model)
    report = rates(outcomes)
    print(f"{report['seeds']} seeds, {PER_CSM} decisions per CSM, check share {CHECK_SHARE}, blind {BLIND_SHARE}")
    for role, rate in sorted(report["flag_rate"].items()):
        extra = (f"  mean excess {report['mean_excess'][role]:+.3f}, mean minimum detectable "
                 f"{report['mean_mde'][role]:.3f}") if role in LEANS else ""
        print(f"{role:>10}: flagged in {rate:.0%} of person-seeds{extra}")
    print(f"anchored CSM's interval covered the planted effect in {report['anchoring_covered']:.0%} of seeds")
    if args.details:
        for outcome in outcomes:
            for name, p in outcome.people.items():
                if p["flagged"] or p["rubber_stamp"] or name.split("-")[0] in ("harsh", "anchored"):
                    print(f"seed {outcome.seed} {name:>12} n {p['n']} lean {p['lean']} stamp {p['rests_on']} "
                          f"rosier z {p['rosier_z']} harsher z {p['harsher_z']} anchoring "
                          f"{p['anchoring']['effect']} [{p['anchoring']['ci_low']}, {p['anchoring']['ci_high']}] "
                          f"expected {outcome.expected_anchoring:.3f}")


if __name__ == "__main__":
    main()
