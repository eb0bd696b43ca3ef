"""What the audit judges by (its thresholds) and what it answers: agreement, anchoring, directions, trends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from api.config import Settings

_DEFAULTS = Settings.model_fields  # the thresholds' defaults are the settings' own


@dataclass(frozen=True)
class AuditSettings:
    """The thresholds the audit judges by; all documented in the README."""

    min_decisions: int = _DEFAULTS["audit_min_decisions"].default
    # Not configurable: flags are accusations. 95% family-wise over every person and both directions, each a
    # one-sided test, so an honest team of any size sees a false flag on anyone at most 5% of the time.
    family_confidence: float = 0.95
    low_confidence: float = _DEFAULTS["audit_low_confidence"].default
    fast_ms: int = _DEFAULTS["audit_fast_ms"].default
    min_evidence: int = _DEFAULTS["audit_min_evidence"].default
    min_week: int = _DEFAULTS["audit_min_week"].default
    drift_window: int = _DEFAULTS["audit_drift_window"].default

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditSettings:
        """The thresholds configured by PULSE_AUDIT_*."""
        return cls(min_decisions=settings.audit_min_decisions, low_confidence=settings.audit_low_confidence,
                   fast_ms=settings.audit_fast_ms, min_evidence=settings.audit_min_evidence,
                   min_week=settings.audit_min_week, drift_window=settings.audit_drift_window)


class Agreement(BaseModel):
    """Agreement on a subset of decisions, with a 95% Wilson interval."""

    n: int
    agreement: float | None
    ci_low: float | None = None
    ci_high: float | None = None


class Anchoring(BaseModel):
    """Agreement when the suggestion was shown minus when it was hidden: how much people lean on it."""

    shown: Agreement
    blind: Agreement
    effect: float | None
    ci_low: float | None
    ci_high: float | None


class UserDirection(BaseModel):
    """How one person's choices lean against the model, compared with peers on the same colours."""

    user_id: int
    name: str
    n: int
    accept_rate: float
    rosier_rate: float
    harsher_rate: float
    mean_shift: float
    ci_low: float | None
    ci_high: float | None
    peer_shift: float | None
    excess_shift: float | None
    excess_ci_low: float | None
    excess_ci_high: float | None
    rosier_excess: float | None
    rosier_z: float | None
    harsher_excess: float | None
    harsher_z: float | None
    flagged: bool
    lean: str | None
    low_confidence_n: int
    low_confidence_accept_rate: float | None
    timed_n: int
    fast_share: float | None
    mean_viewed_ms: float | None
    rosier_mde: float | None = Field(default=None, description="the smallest excess of rosier overrides over "
                                     "peers this person's decisions could show (found 80% of the time): below it, "
                                     "'not flagged' may mean 'not enough data'")
    harsher_mde: float | None = Field(default=None, description="the same for harsher overrides")
    anchoring: Anchoring | None = Field(default=None, description="this person's agreement with the model when "
                                        "shown minus when deciding blind, with a 95% interval")
    server_timed_n: int = Field(default=0, description="decisions timed by the server's clock (served, then decided)")
    server_median_ms: float | None = Field(default=None, description="median of those times (bucketed)")
    server_fast_share: float | None = Field(default=None, description="share decided faster than peers' "
                                            "lower quartile")
    check_n: int = Field(default=0, description="check items answered (first answers)")
    check_accuracy: float | None = Field(default=None, description="share of check items answered with the agreed "
                                         "colour")
    decoy_n: int = Field(default=0, description="check items shown with a deliberately wrong suggestion")
    decoy_acceptance: float | None = Field(default=None, description="share of those where the wrong suggestion "
                                           "was accepted")
    rubber_stamp: bool
    rests_on: list[str] = Field(default_factory=list, description="the kinds of evidence a rubber-stamp flag rests "
                                "on: decoy_acceptance, low_confidence_acceptance (server facts), server_timing "
                                "(the server's clock), client_timing (viewed_ms, the client's claim)")
    evidence: list[str]


class WeekTrend(BaseModel):
    """One week of one model version."""

    week: date
    model_version: str
    n: int
    agreement: float
    cohen_kappa: float | None
    override_rate: float
    override_ci_low: float | None
    override_ci_high: float | None


class DriftAlarm(BaseModel):
    """A week whose override rate rose beyond the range of the weeks before it."""

    model_version: str
    week: date
    override_rate: float
    override_ci_low: float
    previous_max: float
    previous_weeks: int


class OutcomeRace(BaseModel):
    """For one churned account: who flagged Red first, and how long before the churn."""

    account_id: int
    account: str
    churned_on: date
    model_first_red: datetime | None
    human_first_red: datetime | None
    first: str
    model_lead_days: int | None
    human_lead_days: int | None


class Outcomes(BaseModel):
    """Who flagged churned accounts Red first, the model's suggestions or the CSM's pulse."""

    churned: int
    model_first: int
    human_first: int
    same_day: int
    neither: int
    median_model_lead_days: float | None
    median_human_lead_days: float | None
    accounts: list[OutcomeRace]


class SignalDisagreement(BaseModel):
    """An account whose pulse and risk signals disagree."""

    account_id: int
    account: str
    pulse: str
    kind: str = Field(description="green_with_risk: a Green pulse beside signals at risk; red_without_risk: a Red "
                                  "pulse while every signal reads well")
    risk_signals: list[str]
    signals: int


class Honesty(BaseModel):
    """One person's current pulses beside peers' and the model's reading of the same accounts."""

    user_id: int
    name: str
    accounts: int = Field(description="accounts whose current pulse this person set")
    pulses: dict[str, float] = Field(description="share of each colour among those pulses")
    peers: dict[str, float] = Field(description="the same shares over everyone else's current pulses")
    model: dict[str, float] = Field(description="the shares of the model's latest roll-up on the same accounts")
    model_accounts: int
    greener_than_model: int = Field(description="accounts where this person's pulse is greener than the model's")
    green_with_risk: int = Field(description="Green pulses beside a risk signal")


class AuditSummary(BaseModel):
    """Answer of GET /v1/audit/summary."""

    n: int
    agreement: float | None
    cohen_kappa: float | None
    weighted_kappa: float | None
    confusion: dict[str, dict[str, int]]
    confusion_axes: str = "confusion[model_label][human_label]"
    per_user: list[UserDirection]
    blind: Agreement
    shown: Agreement
    anchoring: Anchoring
    anchoring_by_team: dict[str, Anchoring] = Field(default_factory=dict, description="the same per team")
    trends: list[WeekTrend]
    drift_alarms: list[DriftAlarm]
    outcomes: Outcomes
    per_language: dict[str, Agreement] = Field(
        default_factory=dict, description="agreement with the model by the language of the text decided on "
                                          "(und: too short or unsure to tell; unknown: scored before languages "
                                          "were recorded, or a roll-up)")
    honesty: list[Honesty] = Field(default_factory=list, description="per person: their current pulses beside "
                                                                    "peers' and the model's on the same accounts")
    signal_disagreements: list[SignalDisagreement] = Field(
        default_factory=list, description="accounts whose current pulse disagrees with their current signals")
    method: dict[str, Any]
    filters: dict[str, Any]
