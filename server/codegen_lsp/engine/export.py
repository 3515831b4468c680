"""The heavy export steps, run as a child process by :mod:`codegen_lsp.engine.models`.

``python -m codegen_lsp.engine.export STEP ...``, STEP one of ``gguf-to-hf``, ``hf-to-onnx``,
``quantize``, ``genai-int4`` and ``genai-int8``. Each step writes into the directory it is
given (a staging directory the parent renames when the step succeeds).
torch, transformers and optimum are imported here only, never by the language server. A failure
the user can act on is printed as one ``codegen-lsp-error: ...`` line on stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
from pathlib import Path
from typing import Any

from codegen_lsp.engine.models import KEEP_INPUT

log = logging.getLogger(__name__)

ERROR_MARKER = "codegen-lsp-error: "
# Architectures the GGUF -> HF -> ONNX path is known to handle (transformers' GGUF reader and
# optimum's ONNX configs both cover these).
SUPPORTED_GGUF_ARCHITECTURES = ("qwen2", "llama", "mistral", "qwen3", "phi3", "gemma2")


class StepError(Exception):
    """A failure with a message for the user."""


def gguf_architecture(gguf_file: Path) -> str:
    """Return the ``general.architecture`` field of a GGUF file."""
    from gguf import GGUFReader

    reader = GGUFReader(str(gguf_file))
    field = reader.fields.get("general.architecture")
    if field is None:
        raise StepError(f"{gguf_file} has no general.architecture field: not a model GGUF")
    return bytes(field.parts[field.data[0]]).decode()


# Qwen2's own pre-tokenizer (digits one by one, no prefix space); the GGUF conversion replaces it
# with GPT-2's, which adds a space before every prompt and groups digits: other tokens than the
# model was trained on.
_QWEN2_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_BYTE_LEVEL = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False}


def gguf_tokenizer_facts(gguf_file: Path) -> tuple[str, list[str]]:
    """Return the GGUF's pre-tokenizer name and its control / user-defined tokens."""
    from gguf import GGUFReader

    reader = GGUFReader(str(gguf_file))
    pre_field = reader.fields.get("tokenizer.ggml.pre")
    pre = bytes(pre_field.parts[pre_field.data[0]]).decode() if pre_field else ""
    tokens_field = reader.fields["tokenizer.ggml.tokens"]
    types_field = reader.fields.get("tokenizer.ggml.token_type")
    special: list[str] = []
    if types_field is not None:
        control, user_defined = 3, 4
        for index, part in enumerate(types_field.data):
            if int(types_field.parts[part][0]) in (control, user_defined):
                special.append(bytes(tokens_field.parts[tokens_field.data[index]]).decode())
    return pre, special


def repair_tokenizer_json(path: Path, pre: str) -> None:
    """Restore the upstream pre-tokenizer and decoder the GGUF conversion loses."""
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if pre == "qwen2":
        data["normalizer"] = {"type": "NFC"}
        data["pre_tokenizer"] = {
            "type": "Sequence",
            "pretokenizers": [
                {
                    "type": "Split",
                    "pattern": {"Regex": _QWEN2_SPLIT},
                    "behavior": "Isolated",
                    "invert": False,
                },
                {**_BYTE_LEVEL, "use_regex": False},
            ],
        }
        data["post_processor"] = {**_BYTE_LEVEL, "use_regex": False}
        data["decoder"] = {**_BYTE_LEVEL, "use_regex": False}
    else:
        for key in ("pre_tokenizer", "post_processor", "decoder"):
            if isinstance(data.get(key), dict) and data[key].get("type") == "ByteLevel":
                data[key]["add_prefix_space"] = False
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1)


def gguf_to_hf(gguf_file: Path, output: Path, tokenizer_fix: dict[str, str]) -> None:
    """Dequantise a GGUF into an fp32 HF checkpoint and fix its tokenizer's special tokens."""
    architecture = gguf_architecture(gguf_file)
    if architecture not in SUPPORTED_GGUF_ARCHITECTURES:
        raise StepError(
            f"unsupported architecture {architecture!r} in {gguf_file.name}: codegen-lsp exports "
            f"{', '.join(SUPPORTED_GGUF_ARCHITECTURES)}. Export it to ONNX yourself "
            "(optimum-cli export onnx --task text-generation-with-past) and give that directory."
        )
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf_file.parent), gguf_file.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    pre, control_tokens = gguf_tokenizer_facts(gguf_file)
    # Control tokens (FIM, chat markers) must be atomic, never split into pieces by BPE.
    tokenizer.add_special_tokens(
        {"additional_special_tokens": control_tokens}, replace_additional_special_tokens=False
    )
    for role, token in tokenizer_fix.items():
        setattr(tokenizer, role, token)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    eos_id = tokenizer.convert_tokens_to_ids(tokenizer.eos_token)
    generation = model.generation_config
    assert generation is not None
    if tokenizer.pad_token_id is not None:
        generation.pad_token_id = tokenizer.pad_token_id
    generation.eos_token_id = eos_id
    if tokenizer.bos_token_id is not None:
        model.config.bos_token_id = tokenizer.bos_token_id
        generation.bos_token_id = tokenizer.bos_token_id
    model.config.eos_token_id = eos_id
    model.save_pretrained(output)
    tokenizer.save_pretrained(output)
    repair_tokenizer_json(output / "tokenizer.json", pre)


def hf_to_onnx(hf_dir: Path, output: Path) -> None:
    """Export an HF causal LM to ONNX (fp32) with past key/values as inputs and outputs."""
    from optimum.exporters.onnx import main_export

    main_export(
        model_name_or_path=str(hf_dir),
        output=output,
        task="text-generation-with-past",
        device="cpu",
        do_validation=False,
        local_files_only=True,
    )
    keep_last_logits(output / "model.onnx")
    for extra in (
        "generation_config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "chat_template.jinja",
    ):
        if (hf_dir / extra).exists() and not (output / extra).exists():
            shutil.copy2(hf_dir / extra, output / extra)


def keep_last_logits(model_file: Path) -> bool:
    """Add a ``num_logits_to_keep`` input: the output head runs on the last k positions only.

    A prompt's prefill then computes one row of 151,936 logits instead of one per prompt token
    (a sixth of the prefill's work for a 300-token prompt, and hundreds of MB of output). Only
    the graph file is rewritten; the weights (external data) stay where they are. Returns False
    when the graph does not end in a MatMul producing ``logits`` (left unchanged).
    """
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load(str(model_file), load_external_data=False)
    graph = model.graph
    if any(item.name == KEEP_INPUT for item in graph.input):
        return True
    head = next((node for node in graph.node if "logits" in node.output), None)
    if head is None or head.op_type not in ("MatMul", "MatMulNBits"):
        log.warning("no MatMul output head in %s; logits stay full length", model_file)
        return False
    hidden = head.input[0]
    graph.input.append(helper.make_tensor_value_info(KEEP_INPUT, TensorProto.INT64, []))
    prefix = "/codegen_lsp/keep_logits"
    nodes = [
        helper.make_node("Neg", [KEEP_INPUT], [f"{prefix}/neg"]),
        helper.make_node("Unsqueeze", [f"{prefix}/neg", f"{prefix}/zero"], [f"{prefix}/starts"]),
        helper.make_node(
            "Slice",
            [hidden, f"{prefix}/starts", f"{prefix}/ends", f"{prefix}/axes"],
            [f"{prefix}/hidden"],
        ),
    ]
    position = list(graph.node).index(head)
    for offset, node in enumerate(nodes):  # keep the node list topologically sorted
        graph.node.insert(position + offset, node)
    graph.initializer.extend(
        [
            # A default of 0 keeps every position, so runtimes that do not know the input
            # (onnxruntime-genai's own loop) still get the full logits they expect.
            helper.make_tensor(KEEP_INPUT, TensorProto.INT64, [], [0]),
            helper.make_tensor(f"{prefix}/zero", TensorProto.INT64, [1], [0]),
            helper.make_tensor(f"{prefix}/axes", TensorProto.INT64, [1], [1]),
            helper.make_tensor(f"{prefix}/ends", TensorProto.INT64, [1], [2**62]),
        ]
    )
    head.input[0] = f"{prefix}/hidden"
    onnx.save(model, str(model_file))
    return True


def quantize(fp32_dir: Path, output: Path, precision: str) -> None:
    """Write an int8 (see :func:`quantize_int8`) or int4 (MatMulNBits, block 32) copy."""
    import onnx

    source = fp32_dir / "model.onnx"
    target = output / "model.onnx"
    if precision == "int8":
        quantize_int8(source, target)
    elif precision == "int4":
        quantize_int4(onnx.load(str(source)), target, ("MatMul", "Gather"))
    else:
        raise StepError(f"unknown precision {precision!r}")
    for item in fp32_dir.iterdir():
        if item.is_file() and not item.name.startswith("model.onnx"):
            shutil.copy2(item, output / item.name)


def quantize_int8(source: Path, target: Path) -> None:
    """Quantise an fp32 export's MatMul weights to int8; save it as ``target``.

    Dynamic int8 (per-channel int8 weights, activations quantised per tensor at run time, fast
    integer kernels for prefill) everywhere except the MLP down projections. Their inputs (the
    SwiGLU products) carry Qwen's large activation outliers, which one scale per tensor cannot
    hold: measured on the 0.5B model (models/recipes/quantisation.md), they were most of int8's
    loss. They get 8-bit weight-only blocks of 128 instead (MatMulNBits, the int4 path's kernel,
    which quantises activations per block): 4x less loss than all-dynamic int8 at the same
    decode speed; blocks of 32 were no more accurate and slower.
    """
    import tempfile

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(source), load_external_data=False).graph
    down = [n.name for n in graph.node if n.op_type == "MatMul" and "down_proj" in n.name]
    with tempfile.TemporaryDirectory(prefix="int8-", dir=target.parent) as scratch:
        dynamic = Path(scratch) / "model.onnx"
        quantize_dynamic(
            source,
            dynamic,
            op_types_to_quantize=["MatMul"],
            per_channel=True,
            weight_type=QuantType.QInt8,
            use_external_data_format=True,
            nodes_to_exclude=down,
        )
        model = onnx.load(str(dynamic))
    quantize_int4(model, target, ("MatMul",), bits=8, nodes=down, block_size=128)


def quantize_int4(
    model: Any,
    target: Path,
    op_types: tuple[str, ...],
    bits: int = 4,
    nodes: list[str] | None = None,
    block_size: int = 32,
) -> None:
    """Quantise ``op_types`` weights of ``model`` to symmetric 4-bit blocks of 32; save it.

    ``bits=8`` makes 8-bit blocks instead (MatMul only), ``block_size`` other blocks, and
    ``nodes`` limits it to those nodes.
    """
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    # Symmetric 4-bit blocks of 32 (like llama.cpp's Q4_0 family); accuracy level 4 lets the
    # CPU kernel compute with int8 activations, which is what makes int4 fast on CPU.
    # The embedding table (a Gather) is quantised too, along the hidden axis: it is the
    # largest single weight (151,936 x 896) and only one row of it is read per token.
    quantizer = MatMulNBitsQuantizer(
        model,
        bits=bits,
        nodes_to_include=nodes,
        block_size=block_size,
        is_symmetric=True,
        accuracy_level=4,
        op_types_to_quantize=op_types,
        quant_axes=(("MatMul", 0), ("Gather", 1)),
    )
    quantizer.process()
    quantizer.model.save_model_to_file(str(target), use_external_data_format=True)


def genai_int4(hf_dir: Path, output: Path, target: str = "cpu") -> None:
    """Build an int4 ONNX decoder with onnxruntime-genai's model builder.

    Its graph fuses attention (GroupQueryAttention with rotary embeddings), packs Q/K/V into one
    MatMulNBits and fuses residual + RMSNorm: fewer, larger kernels per token than the generic
    export. Its inputs and outputs follow the same names as optimum's, so the engine runs it
    with its own loop; we add ``num_logits_to_keep`` and quantise the embedding table.

    ``target`` is the builder's execution provider: ``cpu`` computes in float32, ``cuda`` in
    float16 (cache, logits and scales too), which ONNX Runtime's CUDA GroupQueryAttention
    needs. The builder only writes the graph, so ``cuda`` builds on a machine without a GPU.
    The 4-bit embedding table's scales follow the graph's dtype; ONNX Runtime has
    GatherBlockQuantized kernels for float and float16 scales on both providers.
    """
    import tempfile

    import onnx

    with tempfile.TemporaryDirectory(prefix="codegen-lsp-genai-") as scratch:
        # Mixed 4/8-bit (llama.cpp's Q4_K_M idea): the output head and the layers most
        # sensitive to rounding in 8 bits. Measured on the default model: KL to fp32 0.031
        # -> 0.0125 nats/token, decode 10% slower at batch 1, 5% at batch 8.
        extra = ["--extra_options", "int4_algo_config=k_quant_mixed"] if target == "cpu" else []
        build = _run_genai_builder(hf_dir, Path(scratch), "int4", target, extra)
        quantize_int4(onnx.load(str(build / "model.onnx")), output / "model.onnx", ("Gather",))
        _copy_side_files(build, output)
    _copy_hf_files(hf_dir, output)


def genai_int8(hf_dir: Path, output: Path) -> None:
    """Build the int8 graph for the CPU: the builder's fp32 graph with int8 weights.

    Same graph as :func:`genai_int4` builds (GroupQueryAttention, the same cache inputs and
    outputs), so the two share one cache; only the weights differ. They follow
    :func:`quantize_int8`'s recipe: its dynamic int8 MatMuls multiply many rows faster on the
    CPU than 4-bit blocks do (one MLP projection at 256 rows: 17 ms against 37 ms; at 8 rows
    1.1 against 2.1 ms), while one row runs faster from 4-bit weights.
    The embedding table is quantised as in the int4 graph, so both read the same embeddings.
    """
    import tempfile

    import onnx

    with tempfile.TemporaryDirectory(prefix="codegen-lsp-genai-") as scratch:
        build = _run_genai_builder(hf_dir, Path(scratch), "fp32", "cpu", [])
        int8 = Path(scratch) / "int8"
        int8.mkdir()
        quantize_int8(build / "model.onnx", int8 / "model.onnx")
        quantize_int4(onnx.load(str(int8 / "model.onnx")), output / "model.onnx", ("Gather",))
        add_row_inputs(output / "model.onnx")
        _copy_side_files(build, output)
    _copy_hf_files(hf_dir, output)


ROW_INPUTS = ("position_ids", "attention_bias")
"""The inputs :func:`add_row_inputs` gives a graph, in GroupQueryAttention's input slots 9, 10."""


def add_row_inputs(model_file: Path) -> None:
    """Let the rows of a batch share one copy of their prompt's cache (rewrites ``model_file``).

    Wires two graph inputs into every GroupQueryAttention node: ``position_ids`` (int64
    [batch, sequence]; each new position's rotary position, no longer implied by where it
    sits in the cache) and ``attention_bias`` (float32 [1, 1, sequence, total]; added to the
    attention scores: -inf hides a cached position from a new one). With them N samples of one
    prompt decode as one cache row: the prompt once, then each step's N new positions side by
    side, each seeing the prompt and its own row's positions only
    (:mod:`codegen_lsp.engine.prompt_sharing`). Only the graph is rewritten: the weights stay
    in their external data file.
    """
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load(str(model_file), load_external_data=False)
    graph = model.graph
    attention = [node for node in graph.node if node.op_type == "GroupQueryAttention"]
    if not attention:
        raise StepError(f"{model_file} has no GroupQueryAttention node to give row inputs")
    declared = {item.name for item in graph.input}
    if "position_ids" not in declared:
        graph.input.append(
            helper.make_tensor_value_info(
                "position_ids", TensorProto.INT64, ["batch_size", "sequence_length"]
            )
        )
    if "attention_bias" not in declared:
        graph.input.append(
            helper.make_tensor_value_info(
                "attention_bias",
                TensorProto.FLOAT,
                [1, 1, "sequence_length", "total_sequence_length"],
            )
        )
    for node in attention:
        while len(node.input) < 11:
            node.input.append("")
        node.input[9], node.input[10] = ROW_INPUTS
    onnx.save(model, str(model_file))


def _run_genai_builder(
    hf_dir: Path, scratch: Path, precision: str, target: str, extra: list[str]
) -> Path:
    """Run onnxruntime-genai's builder into ``scratch/build``; keep only the last logits."""
    import subprocess

    build = scratch / "build"
    command = [
        sys.executable,
        "-m",
        "onnxruntime_genai.models.builder",
        *("-i", str(hf_dir), "-o", str(build), "-p", precision, "-e", target),
        *("-c", str(scratch / "cache")),
        *extra,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not (build / "model.onnx").exists():
        tail = " | ".join(result.stderr.strip().splitlines()[-3:])
        raise StepError(f"onnxruntime-genai's builder failed: {tail}")
    keep_last_logits(build / "model.onnx")
    return build


def _copy_side_files(build: Path, output: Path) -> None:
    """Copy the builder's config and tokenizer files (not the graph) into ``output``."""
    for item in build.iterdir():
        if item.is_file() and not item.name.startswith("model.onnx"):
            shutil.copy2(item, output / item.name)


def _copy_hf_files(hf_dir: Path, output: Path) -> None:
    """Copy the checkpoint's config and tokenizer files: the engine reads config.json."""
    for item in hf_dir.iterdir():  # the HF tokenizer files win over the builder's
        if item.is_file() and item.suffix in (".json", ".jinja", ".txt"):
            shutil.copy2(item, output / item.name)


def main(argv: list[str] | None = None) -> int:
    """Run one step; exit 1 with a ``codegen-lsp-error`` line on a failure the user can fix."""
    parser = argparse.ArgumentParser(prog="python -m codegen_lsp.engine.export")
    steps = parser.add_subparsers(dest="step", required=True)
    first = steps.add_parser("gguf-to-hf")
    first.add_argument("gguf", type=Path)
    first.add_argument("output", type=Path)
    first.add_argument("--tokenizer-fix", default="{}")
    second = steps.add_parser("hf-to-onnx")
    second.add_argument("hf", type=Path)
    second.add_argument("output", type=Path)
    third = steps.add_parser("quantize")
    third.add_argument("fp32", type=Path)
    third.add_argument("output", type=Path)
    third.add_argument("--precision", choices=("int8", "int4"), required=True)
    fourth = steps.add_parser("genai-int4")
    fourth.add_argument("hf", type=Path)
    fourth.add_argument("output", type=Path)
    fourth.add_argument("--target", choices=("cpu", "cuda"), default="cpu")
    fifth = steps.add_parser("genai-int8")
    fifth.add_argument("hf", type=Path)
    fifth.add_argument("output", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    try:
        if args.step == "gguf-to-hf":
            gguf_to_hf(args.gguf, args.output, json.loads(args.tokenizer_fix))
        elif args.step == "hf-to-onnx":
            hf_to_onnx(args.hf, args.output)
        elif args.step == "genai-int4":
            genai_int4(args.hf, args.output, args.target)
        elif args.step == "genai-int8":
            genai_int8(args.hf, args.output)
        else:
            quantize(args.fp32, args.output, args.precision)
    except StepError as error:
        print(f"{ERROR_MARKER}{error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
