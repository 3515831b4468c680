"""Represent each verifier row by the default model's own hidden states of its LEVER text.

LEVER's verifier reads the description, the program and its execution record. Without a
pretrained encoder to fine-tune offline, the nearest thing is the code model that wrote the
program: this script runs its int4 ONNX graph over each row's LEVER text (description + code +
execution record, as ``train.py`` builds it) and keeps the final hidden state after the last
norm, mean-pooled over the tokens and at the last token. ``train.py --hidden-train/
--hidden-validation`` fits a logistic head over these plus the execution features, so the
evaluation can say whether such a verifier ranks better than the feature-only one.

The graph gains one output (the input of the output head); the weights are hard-linked.

    .venv/bin/python models/verifier/hidden_states.py --rows ROWS.jsonl [...] \
        --dataset mbpp-train --out hidden-train.npy
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
MAX_TOKENS = 512
"""Longer texts keep their first tokens (the description and the start of the program)."""


def train_module() -> ModuleType:
    """``train.py`` of this folder: its row loader and LEVER text, so row order matches."""
    spec = importlib.util.spec_from_file_location("verifier_train", HERE / "train.py")
    if spec is None or spec.loader is None:
        raise RuntimeError("cannot import train.py next to this script")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def hidden_state_graph(model_dir: Path, scratch: Path) -> tuple[Path, str]:
    """Write a copy of the graph with the output head's input as an extra output.

    Returns the new graph file (its weights are the original external data, linked) and the
    name of the hidden-state output.
    """
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load(str(model_dir / "model.onnx"), load_external_data=False)
    producers = {output: node for node in model.graph.node for output in node.output}
    # Our export slices the head's input to the last positions (num_logits_to_keep); what it
    # slices is the final norm's output. Without that slice, the head MatMul's input is.
    sliced = producers.get("/codegen_lsp/keep_logits/hidden")
    hidden = sliced.input[0] if sliced is not None else producers["logits"].input[0]
    model.graph.output.append(
        helper.make_tensor_value_info(hidden, TensorProto.FLOAT, ["batch", "sequence", "hidden"])
    )
    for item in model_dir.iterdir():
        if item.name.startswith("model.onnx") and item.name != "model.onnx":
            # ONNX Runtime refuses external data outside the graph's folder (a symlink
            # resolves there), so the weights are hard-linked, or copied across filesystems.
            try:
                os.link(item, scratch / item.name)
            except OSError:
                shutil.copy2(item, scratch / item.name)
    target = scratch / "model.onnx"
    onnx.save(model, str(target))
    return target, hidden


def empty_feeds(session: Any, length: int) -> dict[str, np.ndarray]:
    """Inputs for one prefill of ``length`` tokens with an empty cache (batch 1)."""
    feeds: dict[str, np.ndarray] = {}
    for item in session.get_inputs():
        if item.name.startswith("past_key_values"):
            shape = [1 if i == 0 else (0 if i == 2 else int(d)) for i, d in enumerate(item.shape)]
            feeds[item.name] = np.zeros(shape, dtype=np.float32)
        elif item.name == "attention_mask":
            feeds[item.name] = np.ones((1, length), dtype=np.int64)
        elif item.name == "position_ids":
            feeds[item.name] = np.arange(length, dtype=np.int64)[None, :]
        elif item.name == "num_logits_to_keep":
            feeds[item.name] = np.array(1, dtype=np.int64)
    return feeds


def main() -> int:
    """Write one row of [mean-pooled | last-token] hidden states per verifier row."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rows", nargs="+", required=True, help="rows.jsonl, as train.py")
    parser.add_argument("--dataset", required=True, help="mbpp-train or mbpp-validation")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--model-dir", type=Path, help="exported ONNX dir (default: int4)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    import onnxruntime as ort
    from codegen_lsp.engine import models
    from tokenizers import Tokenizer

    train = train_module()
    rows = train.load(args.rows)
    descriptions = train.descriptions_of(args.dataset)
    model_dir = args.model_dir or models.export("qwen2.5-coder-0.5b", "int4")
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    with tempfile.TemporaryDirectory(prefix="codegen-lsp-hidden-") as scratch:
        graph, hidden_name = hidden_state_graph(Path(model_dir), Path(scratch))
        session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        vectors = []
        started = time.monotonic()
        tokens_seen = 0
        for index, row in enumerate(rows):
            ids = tokenizer.encode(train.lever_text(row, descriptions)).ids[:MAX_TOKENS]
            feeds = empty_feeds(session, len(ids))
            feeds["input_ids"] = np.asarray([ids], dtype=np.int64)
            (states,) = session.run([hidden_name], feeds)
            vectors.append(np.concatenate([states[0].mean(axis=0), states[0, -1]]))
            tokens_seen += len(ids)
            if (index + 1) % 50 == 0 or index + 1 == len(rows):
                rate = tokens_seen / (time.monotonic() - started)
                log.info("%d/%d rows, %.0f tok/s", index + 1, len(rows), rate)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.save(args.out, np.asarray(vectors, dtype=np.float32))
    log.info("wrote %s: %d x %d", args.out, len(vectors), len(vectors[0]) if vectors else 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
