"""The README's "The loop, with curl", run as written against the server it starts, and each answer checked
against what its text says.

The block is read from the README and run by bash in an empty folder, with two changes only: the server
listens on a free loopback port instead of 8000, and `.venv/bin/pulse` is this environment's `pulse`. It
runs the shipped default model, as a reader does: the walk-through's colours are that model's (the tests'
small model rolls the account up Yellow, where step 5 overrides a Red roll-up).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests import processes
from tests.e2e.conftest import PULSE, free_port

pytestmark = pytest.mark.e2e

README = Path(__file__).resolve().parents[2] / "README.md"
MARK = "@@ command "


def walkthrough() -> str:
    """The bash block of the README's section "The loop, with curl"."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## The loop, with curl"):]
    section = section[:section.index("\n## ", 1)]
    found = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert found, "the README's walk-through has no bash block"
    return found.group(1)


def commands(block: str) -> list[tuple[str, str]]:
    """(step, command) for each command of the block: a line at the margin that is not a comment, with the
    indented lines after it (a command's continuation); the step is the number of the last `# N.` comment
    ("setup" before the first)."""
    found: list[tuple[str, str]] = []
    step = "setup"
    for line in block.splitlines():
        numbered = re.match(r"# (\d+)\. ", line)
        if numbered:
            step = numbered.group(1)
        elif line.startswith((" ", "\t")) and found:
            found[-1] = (found[-1][0], found[-1][1] + "\n" + line)
        elif line.strip() and not line.startswith("#"):
            found.append((step, line))
    return found


def retry(command: str) -> str:
    """The command again, printing its HTTP status on a line after the answer."""
    assert command.count("-w '\\n'") == 1, command
    return command.replace("-w '\\n'", "-w '\\n%{http_code}\\n'")


def marked(steps: list[tuple[str, str]]) -> tuple[dict[str, list[int]], str]:
    """The commands' indexes by step, and the script that runs them, printing a mark before each; before the
    server is stopped it runs again the commands whose text promises something of a retry."""
    by_step: dict[str, list[int]] = {}
    script = ["set -u"]
    for index, (number, command) in enumerate(steps):
        by_step.setdefault(number, []).append(index)
        if command.startswith("kill "):
            for name, again in {"message": "2", "accept": "4", "audit": "6"}.items():
                script += [f"printf '\\n{MARK}{name}-retry\\n'", retry(steps[by_step[again][0]][1])]
        script += [f"printf '\\n{MARK}{index}\\n'", command]
    return by_step, "\n".join(script) + "\n"


def answers(out: str) -> dict[str, str]:
    """What each marked command printed, by its mark (the newline printed before each mark is the mark's)."""
    printed: dict[str, str] = {}
    for chunk in out.replace(f"\n{MARK}", MARK).split(MARK)[1:]:
        name, _, text = chunk.partition("\n")
        printed[name] = text
    return printed


def one_line(text: str) -> Any:
    """An answer that is one line of JSON ending in a newline (the walk-through's `-w '\\n'`)."""
    assert text.endswith("\n") and text.count("\n") == 1, f"not one line of JSON: {text[:300]!r}"
    return json.loads(text)


def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_the_readme_walkthrough_runs_as_written_and_answers_what_it_says(tmp_path: Path) -> None:
    if shutil.which("curl") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the README's walk-through needs curl (apt-get install -y curl)")
        pytest.skip("curl is not installed")
    port = free_port()
    block = walkthrough()
    assert block.count("127.0.0.1:8000") >= 1 and block.count("pulse serve &") == 1, block
    block = block.replace("127.0.0.1:8000", f"127.0.0.1:{port}").replace("pulse serve &",
                                                                         f"pulse serve --port {port} &")
    steps = commands(block)
    assert [s for s, _ in steps if s != "setup"][0] == "1", steps
    by_step, script = marked(steps)
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "pulse").symlink_to(PULSE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_") or k == "PULSE_CACHE_DIR"}
    (tmp_path / "walkthrough.sh").write_text(script)
    out_path, err_path = tmp_path / "out.txt", tmp_path / "err.txt"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        shell = processes.start(["bash", "walkthrough.sh"], env=env, cwd=tmp_path, stdout=out, stderr=err)
    try:
        try:
            code = shell.wait(timeout=300)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the walk-through did not finish in 300 s: {processes.tail(err_path)}")
        assert code == 0, processes.tail(err_path)
        # Step 8 stopped the server: the port closes once it has shut down.
        deadline = time.monotonic() + 30
        while listening(port) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not listening(port), "the server still listens after the walk-through's kill"
    finally:
        processes.stop(shell, grace_s=1)

    shown = answers(out_path.read_text(encoding="utf-8"))
    for index in by_step["setup"] + by_step["8"]:
        assert shown[str(index)] == "", (steps[index][1], shown[str(index)])  # setting up and stopping print nothing

    def step(number: str) -> list[Any]:
        return [one_line(shown[str(index)]) for index in by_step[number]]

    check_steps(step)
    check_retries(shown, step)


def check_steps(step: Any) -> None:
    """Each step's answers, against the words above it in the README."""
    # 1. an account in the lead's team: id 1
    [account] = step("1")
    assert (account["id"], account["name"], account["team"], account["external_id"]) == (1, "Acme", "emea", "crm-42")
    # 2. scored on write: suggestion 1 Red, suggestion 2 Green; shown, not blind
    first, second = step("2")
    assert (first["interaction"]["id"], first["suggestion"]["id"], first["suggestion"]["label"]) == (1, 1, "Red")
    assert (second["interaction"]["id"], second["suggestion"]["id"], second["suggestion"]["label"]) == (2, 2, "Green")
    for pair in (first, second):
        suggestion = pair["suggestion"]
        assert not suggestion["blind"] and suggestion["confidence"] == suggestion["probabilities"][suggestion["label"]]
    # 3. the queue, most in need of a human first: 1, then 2, each with its colour
    [queue] = step("3")
    assert [item["id"] for item in queue["data"]] == [1, 2] and queue["count"] == 2
    assert queue["data"][0]["priority"] > queue["data"][1]["priority"]
    assert [item["label"] for item in queue["data"]] == ["Red", "Green"]
    # 4. accept 1 (Red), override 2 (Green) with Yellow
    accepted, overridden = step("4")
    assert (accepted["suggestion_id"], accepted["label"], accepted["accepted"]) == (1, "Red", True)
    assert (overridden["suggestion_id"], overridden["suggested_label"], overridden["label"],
            overridden["accepted"], overridden["override_reason"]) == (2, "Green", "Yellow", False, "missed_context")
    # 5. roll-up 3 (Red) naming both messages, decided Yellow; nothing stale; the timeline
    rolled, pulse, stale, timeline = step("5")
    assert (rolled["id"], rolled["scope"], rolled["label"]) == (3, "account", "Red")
    assert {e["interaction_id"] for e in rolled["explanation"]} == {1, 2}
    assert (pulse["suggestion_id"], pulse["label"], pulse["accepted"]) == (3, "Yellow", False)
    assert stale == {"data": [], "count": 0}
    events = timeline["data"]
    assert [e["label"] for e in events if e["type"] == "interaction"] == [None, None]  # a message has no colour
    assert {e["id"]: e["label"] for e in events if e["type"] == "suggestion"} == {1: "Red", 2: "Green", 3: "Red"}
    assert sorted(e["label"] for e in events if e["type"] == "decision") == ["Red", "Yellow", "Yellow"]
    assert [(e["detail"]["from"], e["detail"]["to"]) for e in events if e["type"] == "pulse_change"] == [
        (None, "Yellow")]
    # 6. three decisions, agreement 0.333; the Green -> Yellow cell lists decision 2
    summary, cell = step("6")
    assert summary["n"] == 3 and round(summary["agreement"], 3) == 0.333
    assert cell["count"] == 1 and [d["suggestion_id"] for d in cell["data"]] == [2]
    # 7. stateless scoring, with the confidence stored suggestions carry
    [scored] = step("7")
    [item] = scored["data"]
    assert item["confidence"] == item["probabilities"][item["label"]] == max(item["probabilities"].values())


def check_retries(retries: dict[str, str], step: Any) -> None:
    """The retries the text speaks of: the same external_id answers 200 with the same pair; the same
    Idempotency-Key records one decision."""
    first = step("2")[0]
    body, status = retries["message-retry"].rstrip("\n").rsplit("\n", 1)
    again = json.loads(body)
    assert status == "200" and (again["interaction"]["id"], again["suggestion"]["id"]) == (
        first["interaction"]["id"], first["suggestion"]["id"])
    body, status = retries["accept-retry"].rstrip("\n").rsplit("\n", 1)
    assert status == "200" and json.loads(body)["id"] == step("4")[0]["id"]
    body, status = retries["audit-retry"].rstrip("\n").rsplit("\n", 1)
    assert status == "200" and json.loads(body)["n"] == 3
