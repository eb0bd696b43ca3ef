"""Challengers that build themselves: after every PULSE_ADAPT_EVERY new confirmed labels a worker adapts the
active version (`pulse models adapt`, in a child process, so training never enters the server), puts the
challenger in shadow (or, with PULSE_ADAPT_AUTO_PROMOTE and a gain whose interval is above zero, promotes it) and
records model.challenger_ready for the webhooks. Promotion otherwise stays a person's decision."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from api.config import Settings
from api.decisions.models import Decision, DecisionHead
from api.jobs import deliveries
from api.jobs import service as jobs
from api.jobs.models import Job, JobKind, JobStatus
from api.lab import promotion
from api.model_versions import service as model_versions
from api.model_versions.holder import ModelHolder
from api.suggestions.models import Scope


def confirmed_count(session: Session) -> int:
    """How many messages carry a confirmed label now (current decisions at message scope)."""
    query = (select(func.count()).select_from(DecisionHead)
             .join(Decision, col(Decision.id) == col(DecisionHead.decision_id))
             .where(col(Decision.scope) == Scope.INTERACTION))
    return int(session.exec(query).one())


def enqueue_if_due(session: Session, settings: Settings) -> Job | None:
    """An adapt job when PULSE_ADAPT_EVERY labels were confirmed since the last one was queued; none while one
    waits or runs. The caller commits."""
    if settings.adapt_every <= 0:
        return None
    latest = session.exec(select(Job).where(Job.kind == JobKind.ADAPT).order_by(col(Job.id).desc())).first()
    if latest is not None and latest.status in (JobStatus.PENDING, JobStatus.RUNNING):
        return None
    now = confirmed_count(session)
    if now - (int(latest.payload.get("labels", 0)) if latest else 0) < settings.adapt_every:
        return None
    return jobs.enqueue(session, JobKind.ADAPT, {"labels": now}, max_attempts=2)


def build_in_child(settings: Settings, base: str) -> dict[str, Any]:
    """`pulse models adapt --format json` in a child process, so neither training nor its memory enters the
    server; the database URL travels in the child's environment, never on its command line."""
    env = os.environ | {"PULSE_DATABASE_URL": settings.database_url, "HF_HUB_OFFLINE": "1",
                        "PULSE_CACHE_DIR": str(settings.serving().cache_dir),
                        "PULSE_SERVING_PRECISION": settings.serving_precision,
                        "PULSE_ADAPT_EVAL_SHARE": str(settings.adapt_eval_share)}
    run = subprocess.run([sys.executable, "-c", "from api.cli import main; main()", "models", "adapt", "--base", base,
                          "--format", "json", "--out", str(settings.adapted_directory())],
                         capture_output=True, text=True, env=env, timeout=settings.job_lease_s)
    if run.returncode == 2:  # refused with a reason (too few labels, a colour missing): nothing to retry
        return {"written": False, "refused": run.stderr.strip().removeprefix("error: ")[-1000:]}
    if run.returncode not in (0, 1) or "{" not in run.stdout:
        raise RuntimeError(f"adapting failed ({run.returncode}): {run.stderr.strip()[-1500:]}")
    found: dict[str, Any] = json.loads(run.stdout[run.stdout.index("{"):])
    return found


def earlier_twin(session: Session, job: Job, every: int) -> Job | None:
    """An earlier adapt job, not dead, queued for nearly the same labels (fewer than `every` apart): two workers
    that counted at the same moment both queue one, and only the earlier builds."""
    labels = int(job.payload.get("labels", 0))
    earlier = session.exec(select(Job).where(Job.kind == JobKind.ADAPT).where(col(Job.id) < job.id)
                           .where(col(Job.status) != JobStatus.DEAD).order_by(col(Job.id).desc())).first()
    if earlier is not None and abs(labels - int(earlier.payload.get("labels", 0))) < max(every, 1):
        return earlier
    return None


def run_job(session: Session, settings: Settings, holder: ModelHolder, job: Job) -> str:
    """Build a challenger from the active version; if it reads the held-out labels at least as well, register
    it, put it in shadow (or promote it) and record model.challenger_ready. Returns a note for the job's log."""
    twin = earlier_twin(session, job, settings.adapt_every)
    if twin is not None:
        return f"skipped: job {twin.id} adapts the same labels"
    active = model_versions.get_active(session=session)
    if active is None:
        return "no active version to adapt"
    report = build_in_child(settings, active.version)
    if not report.get("written"):
        return report.get("refused") or (f"not kept: {report['adapted_macro_f1']} against the base's "
                                         f"{report['base_macro_f1']} on {report['n_eval']} held-out labels")
    version = model_versions.register(session=session, directory=Path(report["directory"]))
    promoted = settings.adapt_auto_promote and report["difference_ci"][0] > 0
    if promoted:
        promotion.promote(session=session, version=version.version, holder=holder)
    else:
        model_versions.shadow(session=session, version=version.version)
    keys = ("version", "base_version", "n_train", "n_eval", "base_macro_f1", "base_macro_f1_ci", "adapted_macro_f1",
            "adapted_macro_f1_ci", "difference_ci", "languages")
    deliveries.emit_challenger_ready(session, challenger={k: report[k] for k in keys}, promoted=promoted,
                                     max_attempts=settings.webhook_max_attempts)
    return f"{version.version} {'promoted' if promoted else 'in shadow'}"
