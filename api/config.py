"""Settings from PULSE_* environment variables, with sensible defaults for a local install."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.labels import Label
from models.options import ServingOptions, default_cache_dir

DEFAULT_SENTIMENT_REASONS: dict[Label, list[str]] = {
    Label.RED: ["champion_left", "product_gaps", "support_escalations", "budget_cuts",
                "competitor_evaluation", "low_adoption", "billing_dispute", "outage_impact"],
    Label.YELLOW: ["slow_adoption", "open_support_issues", "executive_change", "pricing_concerns",
                   "renewal_uncertain", "limited_engagement"],
    Label.GREEN: ["strong_adoption", "expansion_interest", "positive_feedback", "engaged_champion",
                  "renewal_confirmed", "quick_support_resolution"],
}
DEFAULT_OVERRIDE_REASONS: list[str] = [
    "missed_context", "misread_tone", "outdated_information", "not_customer_sentiment",
    "wrong_account_or_author", "other",
]


class CadenceRule(BaseModel):
    """How often one segment's accounts need a pulse: weekly within `weekly_within_days` of renewal, monthly
    within `monthly_within_days`, and `beyond` otherwise (also when no renewal date is set)."""

    model_config = ConfigDict(extra="forbid")

    weekly_within_days: int = Field(default=60, ge=-1, le=3650)
    monthly_within_days: int = Field(default=120, ge=-1, le=3650)
    beyond: Literal["weekly", "monthly", "quarterly"] = "quarterly"


class Settings(BaseSettings):
    """Every setting of a Pulse process; each is read from PULSE_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="PULSE_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///pulse.db"
    environment: Literal["development", "production"] = "development"
    model_dir: Path | None = Field(default=None, description="artifact directory; default: the shipped model")
    serving_precision: Literal["auto", "bf16", "int8", "f32"] = Field(
        default="auto", description="the serving graph's precision; auto chooses by the CPU (models.transformer)")
    cache_dir: Path | None = Field(default=None, description="derived serving graphs; default ~/.cache/pulse")
    # oneDNN's own cap on the instruction sets its kernels use (OpenVINO and PyTorch obey it): read here, without
    # the PULSE_ prefix, so the model knows which CPU features it really has.
    onednn_max_cpu_isa: str | None = Field(default=None, validation_alias="ONEDNN_MAX_CPU_ISA")
    max_body_bytes: int = 256 * 1024
    max_texts_per_request: int = 64
    allowed_hosts: list[str] = Field(default_factory=lambda: ["*"], description="Host header values the server "
                                     "answers (e.g. [\"pulse.example.com\"]); others get 400. * allows any")
    login_attempts_per_minute: int = Field(default=10, ge=0, description="sign-in attempts a minute per client "
                                           "address; 0 turns the limit off")
    rate_limit_per_minute: int = Field(default=1200, ge=0, description="requests a minute per API key, shared by "
                                                                       "every process; 0 turns the limit off")
    batch_max_texts: int = Field(default=32, ge=0, description="0 turns micro-batching off")
    batch_max_wait_ms: float = Field(default=2.0, ge=0)
    queue_page_size: int = 50
    queue_max_page_size: int = 500
    sentiment_reasons: dict[Label, list[str]] = Field(default_factory=lambda: dict(DEFAULT_SENTIMENT_REASONS))
    override_reasons: list[str] = Field(default_factory=lambda: list(DEFAULT_OVERRIDE_REASONS))
    lifecycle_stages: list[str] = Field(
        default_factory=lambda: ["onboarding", "adoption", "expansion", "renewal"],
        description="the stages the pulse update form offers, in order (JSON list; each 1-50 characters)")
    cadence_weekly_within_days: int = 60
    cadence_monthly_within_days: int = 120
    cadence_days: dict[str, int] = Field(default_factory=lambda: {"weekly": 7, "monthly": 30, "quarterly": 91})
    cadence: dict[str, CadenceRule] = Field(
        default_factory=dict, description="per account segment (JSON), e.g. {\"enterprise\": {\"weekly_within_days\": "
        "120, \"beyond\": \"monthly\"}, \"pooled\": {\"weekly_within_days\": -1, \"monthly_within_days\": -1}}; "
        "segments not named follow PULSE_CADENCE_WEEKLY_WITHIN_DAYS and PULSE_CADENCE_MONTHLY_WITHIN_DAYS")
    scale: str = Field(default="ryg", description="ryg, six, or a JSON list of points {name, colour, definition}")
    guidelines: dict[str, str] = Field(default_factory=dict, description="a short definition per colour or scale "
                                       "point (JSON), shown beside the choice")
    rollup_window_days: int = 90
    rollup_half_life_days: float = 14.0
    audit_min_decisions: int = Field(default=20, ge=1, description="smallest sample for a direction flag")
    audit_low_confidence: float = Field(default=0.6, gt=0, le=1, description="suggestions below are uncertain")
    audit_fast_ms: int = Field(default=2000, ge=0, description="a decision faster than this is fast")
    audit_min_evidence: int = Field(default=10, ge=1, description="smallest sample for rubber-stamp evidence")
    audit_min_week: int = Field(default=20, ge=1, description="smallest week for trends' drift alarms")
    audit_drift_window: int = Field(default=4, ge=2, description="weeks a new week is compared with")
    redact_pii: bool = Field(default=False, description="replace e-mail addresses and phone numbers before storage")
    pii_regions: list[str] = Field(default_factory=lambda: ["US", "GB"],
                                   description="regions whose national phone formats are recognised")
    agent_domains: list[str] = Field(default_factory=list,
                                     description="our own e-mail domains: their messages are not customer text")
    blind_share: float = Field(default=0.1, ge=0.0, le=1.0,
                               description="share of suggestions served without the model's answer until decided")
    check_share: float = Field(default=0.03, ge=0.0, lt=1.0, description="share of each CSM's decisions that are "
                               "on check items: decided messages with a colour a lead agreed, re-served")
    check_decoy_share: float = Field(default=0.5, ge=0.0, le=1.0, description="share of served check items whose "
                                     "shown suggestion is deliberately not the agreed colour")
    adapted_dir: Path | None = Field(default=None, description="where adapted versions are written; default "
                                     "~/.local/share/pulse/adapted")
    adapt_eval_share: float = Field(default=0.2, gt=0.0, lt=0.9, description="latest share of confirmed labels an "
                                    "adapted version is measured on and never learns from")
    adapt_every: int = Field(default=200, ge=0, description="a worker adapts the active version after this many new "
                             "confirmed labels and puts the challenger in shadow; 0 turns it off")
    adapt_auto_promote: bool = Field(default=False, description="promote such a challenger at once when the 95% "
                                     "interval of its gain over its base is above zero")
    adapt_check_s: float = Field(default=60.0, gt=0, description="how often a worker counts new confirmed labels")
    random_seed: int | None = Field(default=None, description="makes the server's draws (blind items, check items) "
                                    "reproducible; leave unset in production")
    embedded_worker: bool = Field(default=True, description="`pulse serve` also runs background jobs in-process")
    shutdown_timeout_s: float = Field(default=10.0, ge=0, le=3600, description="on SIGTERM, requests still "
                                      "running after this many seconds are abandoned and the server exits")
    worker_poll_s: float = Field(default=1.0, gt=0, description="how often an idle worker looks for jobs")
    overdue_sweep_s: float = Field(default=3600.0, ge=0, description="how often a worker looks for accounts whose "
                                   "pulse just became overdue (a pulse.overdue event each); 0 turns it off")
    job_lease_s: float = Field(default=300.0, gt=0, description="a running job not finished by then is retried")
    webhook_timeout_s: float = Field(default=10.0, gt=0, description="the whole delivery, from connecting to "
                                     "the answer's status line")
    webhook_allow_private: bool = Field(default=False, description="accept webhook hosts on loopback, private, "
                                        "link-local or metadata addresses (tests, closed networks)")
    webhook_retry_base_s: float = Field(default=10.0, gt=0, description="first retry delay; it doubles")
    webhook_retry_max_s: float = Field(default=3600.0, gt=0, description="longest delay between retries")
    webhook_max_attempts: int = Field(default=10, ge=1)
    source_poll_s: float = Field(default=300.0, ge=10, le=86400, description="how often a worker reads each "
                                 "mailbox source (pulse sources); a failing one backs off from 60 s up to an hour")
    source_step_messages: int = Field(default=200, ge=1, le=5000, description="messages one source read handles "
                                      "before the worker turns to its jobs again (the rest follow at once)")
    source_max_message_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=1024 ** 3, description="a mailbox "
                                          "message larger than this is named in the source's report, not read")
    source_timeout_s: float = Field(default=60.0, gt=0, le=600, description="each network operation of a source "
                                    "read (connect, sign in, one fetch)")
    imap_ca_file: Path | None = Field(default=None, description="a private CA's certificate (PEM) that IMAP "
                                      "servers are verified with, instead of the system's CAs")
    session_hours: float = Field(default=12.0, gt=0, description="a web sign-in lasts this long")
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"

    @field_validator("sentiment_reasons")
    @classmethod
    def _every_colour_has_reasons(cls, value: dict[Label, list[str]]) -> dict[Label, list[str]]:
        missing = [label.value for label in Label if not value.get(label)]
        if missing:
            raise ValueError(f"sentiment_reasons needs a non-empty list for {', '.join(missing)}")
        return value

    @field_validator("lifecycle_stages")
    @classmethod
    def _stages(cls, value: list[str]) -> list[str]:
        stages = [stage.strip() for stage in value]
        bad = [stage for stage in stages if not 1 <= len(stage) <= 50]
        if not stages or bad:
            raise ValueError(f"lifecycle_stages needs one or more stages of 1-50 characters, got {value!r}")
        if len(set(stages)) != len(stages):
            raise ValueError(f"lifecycle_stages names a stage twice: {value!r}")
        return stages

    @field_validator("scale")
    @classmethod
    def _scale_parses(cls, value: str) -> str:
        from api.scale import parse

        parse(value)  # a bad scale stops the process at start, naming the fault
        return value

    @field_validator("database_url")
    @classmethod
    def _psycopg_driver(cls, value: str) -> str:
        # "postgresql://" alone would pick psycopg2, which Pulse does not install.
        for prefix in ("postgresql://", "postgres://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix):]
        return value

    def adapted_directory(self) -> Path:
        """Where adapted versions are written."""
        return self.adapted_dir or Path.home() / ".local" / "share" / "pulse" / "adapted"

    def serving(self) -> ServingOptions:
        """What models/ needs to serve a transformer, and nothing more."""
        return ServingOptions(precision=self.serving_precision, cache_dir=self.cache_dir or default_cache_dir(),
                              isa_cap=self.onednn_max_cpu_isa.lower() if self.onednn_max_cpu_isa else None)


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
