"""Fine-tuning the transformer classifier with LoRA, and deriving its int8 serving graph."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import platform
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split

from models import transformer
from models.artifacts import seal
from training.calibrate import fit_temperature
from training.datasets import Dataset
from training.evaluate import metrics
from training.train import TrainingError, _code_version

log = logging.getLogger("pulse.training")

# Every attention and feed-forward projection of every layer (not the pooler).
TARGET_MODULES = (r"encoder\.layer\.\d+\."
                  r"(attention\.self\.(query|key|value)|attention\.output\.dense|intermediate\.dense|output\.dense)")


@dataclass(frozen=True)
class FinetuneParams:
    """Everything that decides the fine-tuned weights, recorded in the model version."""

    epochs: int = 3
    batch_size: int = 32
    learning_rate: float = 5e-4
    head_learning_rate: float = 2e-3
    weight_decay: float = 0.01
    warmup_share: float = 0.06
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.1
    dropout: float = 0.1
    max_len: int = 128
    stride: int = 32
    calibration_share: float = 0.1
    soft_labels: bool = True
    class_weight_power: float = 0.5
    seed: int = 13
    threads: int = 2


def soft_targets(labels: np.ndarray, confidence: np.ndarray, soft: bool) -> np.ndarray:
    """Target distributions: the annotators' agreement on the label, the rest shared by the others."""
    targets = np.zeros((len(labels), 3), dtype=np.float32)
    if not soft:
        targets[np.arange(len(labels)), labels] = 1.0
        return targets
    targets += ((1.0 - confidence) / 2.0)[:, None]
    targets[np.arange(len(labels)), labels] = confidence
    return targets


def seed_everything(seed: int) -> None:
    """Fix every random source the run uses."""
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def finetune(train: Dataset, out: Path, dev: Dataset | None = None, params: FinetuneParams | None = None,
             command: str = "", licence: str = "", progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Fine-tune, calibrate on a held-apart split, evaluate, derive the int8 graph, and seal `out`."""
    import torch
    from peft import LoraConfig, get_peft_model
    from safetensors.numpy import save_file

    params = params or FinetuneParams()
    say = progress or (lambda message: log.info(message))
    if set(np.unique(train.labels).tolist()) != {0, 1, 2}:
        raise TrainingError("training data must hold Red, Yellow and Green rows")
    torch.set_num_threads(params.threads)
    seed_everything(params.seed)
    fit_idx, cal_idx = train_test_split(np.arange(len(train)), test_size=params.calibration_share,
                                        random_state=params.seed, stratify=train.labels)
    fit, cal = train.subset(fit_idx), train.subset(cal_idx)
    tokenizer = transformer.load_tokenizer()

    config: dict[str, Any] = {
        "base_package": transformer.BASE_PACKAGE, "base_sha256": transformer.base_fingerprint(),
        "tokenizer_sha256": transformer.tokenizer_fingerprint(),
        "max_len": params.max_len, "stride": params.stride, "lora_r": params.lora_r,
        "lora_alpha": params.lora_alpha, "dropout": params.dropout, "temperature": 1.0,
        "languages": list(transformer.BASE_LANGUAGES),
    }
    network = transformer.build_network(config)
    lora = LoraConfig(r=params.lora_r, lora_alpha=params.lora_alpha, lora_dropout=params.lora_dropout,
                      target_modules=TARGET_MODULES, bias="none")
    network.encoder = get_peft_model(network.encoder, lora)
    network.train()

    counts = np.bincount(fit.labels, minlength=3).astype(np.float64)
    class_weights = torch.tensor((counts.sum() / (3 * counts)) ** params.class_weight_power, dtype=torch.float32)
    targets = torch.from_numpy(soft_targets(fit.labels, fit.weights.astype(np.float32), params.soft_labels))
    # Training sees whole messages; a text longer than the window trains on its first window only
    # (the airline messages all fit), while inference always reads every window.
    encoded = [tokenizer.encode(t).ids[: params.max_len] for t in fit.texts]
    _train(network, fit, encoded, targets, class_weights, params, say)

    network.eval()
    work = Path(tempfile.mkdtemp(prefix="pulse-finetune-"))
    try:
        save_file(_adapter_state(network, params), str(work / transformer.ADAPTER))
        (work / transformer.CONFIG).write_text(json.dumps(config, indent=2))
        return package(work, out, train=train, calibration=cal, dev=dev, params=params, command=command,
                       licence=licence, progress=say)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _train(network: Any, fit: Dataset, encoded: list[list[int]], targets: Any, class_weights: Any,
           params: FinetuneParams, say: Callable[[str], None]) -> None:
    """The fine-tuning loop: AdamW on the adapters and the head, linear warm-up then decay, progress every 25
    steps with the time left."""
    import torch

    adapter_params = [p for n, p in network.named_parameters() if p.requires_grad and not n.startswith("head.")]
    optimizer = torch.optim.AdamW([
        {"params": adapter_params, "lr": params.learning_rate},
        {"params": network.head.parameters(), "lr": params.head_learning_rate},
    ], weight_decay=params.weight_decay)
    steps_per_epoch = math.ceil(len(fit) / params.batch_size)
    total_steps = steps_per_epoch * params.epochs
    warmup = max(1, int(total_steps * params.warmup_share))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total_steps - step) / (total_steps - warmup))))

    generator = np.random.default_rng(params.seed)
    step, started = 0, time.perf_counter()
    for epoch in range(params.epochs):
        order = generator.permutation(len(fit))
        running = 0.0
        for start in range(0, len(order), params.batch_size):
            batch = order[start : start + params.batch_size]
            ids, mask = transformer.pad([encoded[i] for i in batch])
            logits = network(torch.from_numpy(ids), torch.from_numpy(mask))
            log_probs = torch.log_softmax(logits, dim=-1)
            hard = torch.from_numpy(fit.labels[batch])
            per_row = -(targets[batch] * log_probs).sum(dim=-1) * class_weights[hard]
            loss = per_row.sum() / class_weights[hard].sum()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(network.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step += 1
            running += float(loss)
            if step % 25 == 0 or step == total_steps:
                elapsed = time.perf_counter() - started
                say(f"epoch {epoch + 1}/{params.epochs} step {step}/{total_steps} loss {running / 25:.4f} "
                    f"elapsed {elapsed:.0f}s eta {elapsed / step * (total_steps - step):.0f}s")
                running = 0.0


def package(work: Path, out: Path, *, train: Dataset, calibration: Dataset, dev: Dataset | None,
            params: FinetuneParams, command: str, licence: str,
            progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Calibrate trained weights on the held-apart split, evaluate both backends, write the card, seal.

    `work` holds adapter.safetensors and config.json; the sealed artifact is written to `out`.
    """
    import torch

    say = progress or (lambda message: log.info(message))
    config = json.loads((work / transformer.CONFIG).read_text())
    version = f"{transformer.KIND}-{hashlib.sha256((work / transformer.ADAPTER).read_bytes()).hexdigest()[:10]}"
    reference = transformer.TransformerClassifier(version, work, config, backend="reference", threads=params.threads)
    config["temperature"] = fit_temperature(reference.logits(calibration.texts), calibration.labels)
    (work / transformer.CONFIG).write_text(json.dumps(config, indent=2))
    reference.temperature = config["temperature"]
    say(f"calibrated: temperature {config['temperature']:.3f}")
    serving = transformer.TransformerClassifier(version, work, config, backend="serving", threads=params.threads)
    report: dict[str, Any] = {}
    for split, data in (("calibration", calibration), ("dev", dev)):
        if data is None:
            continue
        exact = reference.predict_proba(data.texts)
        fast = serving.predict_proba(data.texts)
        report[split] = metrics(exact, data.labels, version)
        report[f"{split}_serving"] = metrics(fast, data.labels, version)
        report[f"{split}_serving"]["agreement_with_fp32"] = round(float((exact.argmax(1) == fast.argmax(1)).mean()), 4)
        say(f"{split}: fp32 macro-F1 {report[split]['macro_f1']:.4f} ECE {report[split]['ece']:.4f}; serving "
            f"macro-F1 {report[f'{split}_serving']['macro_f1']:.4f}, "
            f"agreement {report[f'{split}_serving']['agreement_with_fp32']:.4f}")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name in (transformer.ADAPTER, transformer.CONFIG):
        shutil.copy2(work / name, out / name)
    meta: dict[str, Any] = {
        "version": version, "kind": transformer.KIND,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "params": asdict(params) | {"temperature": round(config["temperature"], 4)},
        "data": {
            "train": {"source": train.source, "sha256": train.sha256, "rows": len(train)},
            "dev": None if dev is None else {"source": dev.source, "sha256": dev.sha256, "rows": len(dev)},
        },
        "licence": licence or "not stated", "metrics": report, "command": command,
        "code_version": _code_version(),
        "environment": {"python": platform.python_version(), "torch": torch.__version__},
        "base": {"package": transformer.BASE_PACKAGE, "sha256": config["base_sha256"]},
    }
    (out / "MODEL_CARD.md").write_text(model_card(meta))
    return seal(out, meta)


def _adapter_state(network: Any, params: FinetuneParams) -> dict[str, np.ndarray]:
    """The LoRA factors under the plain module names of the base encoder, and the head."""
    state: dict[str, np.ndarray] = {}
    for name, module in network.encoder.named_modules():
        if hasattr(module, "lora_A") and "default" in getattr(module, "lora_A", {}):
            plain = "encoder." + name.removeprefix("base_model.model.")
            state[f"{plain}.lora_A"] = np.ascontiguousarray(module.lora_A["default"].weight.detach().numpy())
            state[f"{plain}.lora_B"] = np.ascontiguousarray(module.lora_B["default"].weight.detach().numpy())
    if not state:
        raise TrainingError("no LoRA factors were found after training")
    state["head.weight"] = np.ascontiguousarray(network.head.weight.detach().numpy())
    state["head.bias"] = np.ascontiguousarray(network.head.bias.detach().numpy())
    return state


def model_card(meta: dict[str, Any]) -> str:
    """A human-readable model card from the manifest's metadata."""
    p = meta["params"]
    lines = [
        f"# Model card: {meta['version']}", "",
        f"Kind: {meta['kind']}: `{meta['base']['package']}` (sentence-transformers/all-MiniLM-L6-v2) fine-tuned with "
        f"LoRA (r={p['lora_r']}, alpha={p['lora_alpha']}) on every attention and feed-forward projection, "
        "mean pooling, a linear head, and temperature scaling fitted on a held-apart split.",
        f"Created: {meta['created_at']} from code {meta['code_version']}.", "",
        "Files: `adapter.safetensors` (the LoRA factors and the head; merged into the pip-installed base they "
        "give the fp32 reference model) and `config.json`. The serving path converts that same fp32 network to "
        "OpenVINO and runs it with bf16 inference precision; its figures are in the `serving` rows.", "",
        "## Data",
    ]
    for split, info in meta["data"].items():
        if info:
            lines.append(f"- {split}: `{info['source']}`, {info['rows']} rows, sha256 `{info['sha256'][:16]}…`")
    lines += [f"- licence of the data: {meta['licence']}", "",
              "Soft labels from the annotators' `label_confidence`; class weights (inverse frequency)"
              f"^{p['class_weight_power']}; seed {p['seed']}.", "", "## Command", "",
              f"    {meta['command'] or '(called from Python)'}", "", "## Metrics", "",
              "| split | model | n | accuracy | macro-F1 | ECE (15 bins) | agreement with fp32 |",
              "|---|---|---|---|---|---|---|"]
    for split, m in meta["metrics"].items():
        model = "serving (OpenVINO bf16)" if split.endswith("_serving") else "fp32 reference"
        lines.append(f"| {split.removesuffix('_serving')} | {model} | {m['n']} | {m['accuracy']:.4f} | "
                     f"{m['macro_f1']:.4f} | {m['ece']:.4f} | {m.get('agreement_with_fp32', '')} |")
    lines += ["", "## Parameters", "", "```json", json.dumps(p, indent=2), "```", ""]
    return "\n".join(lines)
