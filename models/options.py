"""How a process serves a transformer, decided once at its edge and passed down: models/ reads no environment
variable. api.config builds one from PULSE_SERVING_PRECISION, PULSE_CACHE_DIR and oneDNN's ONEDNN_MAX_CPU_ISA;
a script that builds none gets the defaults."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

PRECISIONS = ("bf16", "int8", "f32")


def default_cache_dir() -> Path:
    return Path.home() / ".cache" / "pulse"


@dataclass(frozen=True)
class ServingOptions:
    """precision: "auto" (chosen by the CPU, models.transformer.serving_precision) or one of PRECISIONS;
    cache_dir: where derived serving graphs live; isa_cap: the instruction-set cap the process's kernels obey
    (ONEDNN_MAX_CPU_ISA, lower case), or None."""

    precision: str = "auto"
    cache_dir: Path = field(default_factory=default_cache_dir)
    isa_cap: str | None = None

    def __post_init__(self) -> None:
        if self.precision not in ("auto", *PRECISIONS):
            raise ValueError(f"serving precision must be auto, {', '.join(PRECISIONS)}; got {self.precision!r}")

    def to_json(self) -> str:
        """For a child process (models.registry.prepare_isolated)."""
        return json.dumps({**asdict(self), "cache_dir": str(self.cache_dir)})

    @classmethod
    def from_json(cls, text: str) -> ServingOptions:
        found = json.loads(text)
        return cls(precision=found["precision"], cache_dir=Path(found["cache_dir"]), isa_cap=found["isa_cap"])
