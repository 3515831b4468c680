"""The int8 recipe (dynamic int8, down projections in 8-bit blocks) and its staleness marker."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def tiny_int8(tiny_hf: Path, tiny_cache: Path) -> Path:
    from codegen_lsp.engine import models

    return models.export(str(tiny_hf), "int8", cache=str(tiny_cache))


def test_down_projections_get_8bit_blocks_the_rest_dynamic_int8(tiny_int8: Path) -> None:
    import onnx

    graph = onnx.load(str(tiny_int8 / "model.onnx"), load_external_data=False).graph
    blocks = [node for node in graph.node if node.op_type == "MatMulNBits"]
    assert blocks and all("down_proj" in node.name for node in blocks)
    assert all(
        attribute.i == 8
        for node in blocks
        for attribute in node.attribute
        if attribute.name == "bits"
    )
    kinds = collections.Counter(node.op_type for node in graph.node)
    assert kinds["MatMulInteger"] > 0
    constant_b = {init.name for init in graph.initializer}
    assert not [n for n in graph.node if n.op_type == "MatMul" and n.input[1] in constant_b]


def test_an_int8_export_of_an_older_recipe_is_made_again(
    tiny_hf: Path, tiny_cache: Path, tiny_int8: Path
) -> None:
    from codegen_lsp.engine import models

    manifest = tiny_int8 / models.MANIFEST
    facts = json.loads(manifest.read_text())
    assert facts["recipe"] == models.QUANTISATION_RECIPES["int8"]
    del facts["recipe"]  # what the first int8 recipe wrote
    manifest.write_text(json.dumps(facts))
    assert models.onnx_path(str(tiny_hf), "int8", cache=str(tiny_cache)) is None
    assert models.onnx_path(str(tiny_hf), "fp32", cache=str(tiny_cache)) is not None

    again = models.export(str(tiny_hf), "int8", cache=str(tiny_cache))
    assert again == tiny_int8
    assert json.loads(manifest.read_text())["recipe"] == models.QUANTISATION_RECIPES["int8"]
    assert models.onnx_path(str(tiny_hf), "int8", cache=str(tiny_cache)) == tiny_int8
