"""The server's random draws (blind items, check items): from the system's entropy, or reproducible.

PULSE_RANDOM_SEED makes every draw of a process follow from the seed, so a simulation or a demo can be
replayed exactly; leave it unset in production, where nobody should be able to predict which item is blind
or a check.
"""

from __future__ import annotations

import random
import secrets
import threading

_LOCK = threading.RLock()  # chance() draws from generator() while holding it
_SEEDED: dict[int, random.Random] = {}
_SYSTEM = secrets.SystemRandom()


def generator(seed: int | None) -> random.Random:
    """The process's generator for a seed (the system's entropy when None)."""
    if seed is None:
        return _SYSTEM
    with _LOCK:
        return _SEEDED.setdefault(seed, random.Random(seed))


def chance(share: float, seed: int | None = None) -> bool:
    """True with probability `share`."""
    if share <= 0:
        return False
    with _LOCK:
        return generator(seed).random() < share
