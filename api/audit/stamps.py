"""Rubber-stamp evidence for one person against their peers, from server facts first.

Four kinds, each a one-sided Wilson test against the peers' typical rate:
- decoy_acceptance: check items shown with a deliberately wrong suggestion, accepted (server fact);
- low_confidence_acceptance: uncertain suggestions accepted (server fact);
- server_timing: decisions faster than the peers' lower quartile by the server's own clock, from the item
  being served (or the person's previous decision) to the decision, so it holds however fast or slow a
  team works;
- client_timing: decisions faster than PULSE_AUDIT_FAST_MS by the client's `viewed_ms` (its claim).

A flag needs an acceptance kind and a timing kind; it says which it rests on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from api.audit import stats

# Upper bounds (ms) of the server-time buckets the database counts decisions into: fine enough from a
# scripted client's milliseconds to a person's minutes, and a fixed, small table per person.
BOUNDS = (1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200, 300, 500, 700, 1_000, 1_500, 2_000, 3_000,
          5_000, 7_000, 10_000, 15_000, 20_000, 30_000, 50_000, 70_000, 100_000, 200_000, 600_000)
QUARTILE = 0.25
ACCEPTANCE = ("decoy_acceptance", "low_confidence_acceptance")
TIMING = ("server_timing", "client_timing")


@dataclass
class Habits:
    """What one person's rubber-stamp evidence is computed from."""

    low_n: int = 0
    low_accepted: int = 0
    timed: int = 0
    fast: int = 0
    server: list[int] = field(default_factory=lambda: [0] * (len(BOUNDS) + 1))  # counts per bucket
    decoys: int = 0
    decoys_accepted: int = 0

    @property
    def server_n(self) -> int:
        return sum(self.server)

    def below(self, bucket: int) -> int:
        """Server-timed decisions in buckets below `bucket`."""
        return sum(self.server[:bucket])

    def server_median_ms(self) -> float | None:
        """The upper bound of the bucket holding the median server time."""
        total, seen = self.server_n, 0
        for bucket, count in enumerate(self.server):
            seen += count
            if total and seen * 2 >= total:
                return float(BOUNDS[bucket]) if bucket < len(BOUNDS) else float(BOUNDS[-1])
        return None


@dataclass
class Stamp:
    """The verdict on one person."""

    flagged: bool = False
    rests_on: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    server_fast_share: float | None = None


def quartile_bucket(peers: list[Habits]) -> int | None:
    """The bucket whose lower edge is the peers' pooled lower quartile of server time."""
    pooled = [sum(p.server[b] for p in peers) for b in range(len(BOUNDS) + 1)]
    total, seen = sum(pooled), 0
    if total == 0:
        return None
    for bucket, count in enumerate(pooled):
        if (seen + count) / total > QUARTILE:
            return max(bucket, 1)
        seen += count
    return None


def judge(me: Habits, peers: list[Habits], z: float, min_evidence: int, fast_ms: int) -> Stamp:
    """Each kind of evidence against peers' typical rate, and the flag if both sides hold."""
    verdict = Stamp()
    # Decoy acceptance against the peers' pooled rate with one success and failure added: never zero, so a
    # single wrong accept among few decoys is not evidence, while accepting decoy after decoy is.
    decoys, took = sum(p.decoys for p in peers), sum(p.decoys_accepted for p in peers)
    peer_decoys = (took + 1) / (decoys + 2)
    if me.decoys >= 3 and _above(me.decoys_accepted, me.decoys, peer_decoys, z):
        verdict.rests_on.append("decoy_acceptance")
        verdict.evidence.append(f"accepted {me.decoys_accepted} of {me.decoys} decoys (check items shown with a "
                                f"wrong suggestion) against peers' {peer_decoys:.0%}")
    peer_accept = stats.robust_baseline([p.low_accepted / p.low_n for p in peers if p.low_n >= 5])
    if me.low_n >= min_evidence and peer_accept is not None and _above(me.low_accepted, me.low_n, peer_accept, z):
        verdict.rests_on.append("low_confidence_acceptance")
        verdict.evidence.append(f"accepted {me.low_accepted / me.low_n:.0%} of {me.low_n} low-confidence "
                                f"suggestions against peers' {peer_accept:.0%}")
    bucket = quartile_bucket(peers)
    if bucket is not None and me.server_n:
        verdict.server_fast_share = round(me.below(bucket) / me.server_n, 4)
        peer_fast = stats.robust_baseline([p.below(bucket) / p.server_n for p in peers if p.server_n >= 5])
        if me.server_n >= min_evidence and peer_fast is not None and _above(me.below(bucket), me.server_n,
                                                                            peer_fast, z):
            verdict.rests_on.append("server_timing")
            verdict.evidence.append(f"by the server's clock, decided {verdict.server_fast_share:.0%} of "
                                    f"{me.server_n} items faster than {BOUNDS[bucket - 1]:,} ms (peers' lower "
                                    f"quartile) against peers' {peer_fast:.0%}")
    peer_client = stats.robust_baseline([p.fast / p.timed for p in peers if p.timed >= 5])
    if me.timed >= min_evidence and peer_client is not None and _above(me.fast, me.timed, peer_client, z):
        verdict.rests_on.append("client_timing")
        verdict.evidence.append(f"by the client's viewed_ms, decided {me.fast / me.timed:.0%} of {me.timed} items "
                                f"in under {fast_ms} ms against peers' {peer_client:.0%}")
    verdict.flagged = any(k in verdict.rests_on for k in ACCEPTANCE) and any(k in verdict.rests_on for k in TIMING)
    if not verdict.flagged:
        verdict.rests_on, verdict.evidence = [], []
    return verdict


def _above(successes: int, n: int, baseline: float, z: float) -> bool:
    """Whether a rate is above a baseline beyond its Wilson interval at `z`."""
    low, _ = stats.wilson(successes, n, z)
    return low is not None and low > baseline
