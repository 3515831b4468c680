"""The verifier's ONNX graph: equal to its numpy reference, one run per request, never a crash."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from codegen_lsp.context import all_functions
from codegen_lsp.draws import Draw, DrawnBody
from codegen_lsp.outcomes import GenerationResult
from codegen_lsp.pipeline import Pipeline
from codegen_lsp.ranking import agreement, combine, verifier
from codegen_lsp.ranking.candidate import Candidate
from codegen_lsp.sandbox.types import CandidateRun, Example, ExampleResult
from codegen_lsp.settings import RankingSettings, Settings

N = len(verifier.FEATURES)


def random_model(rng: np.random.Generator, hidden: int | None) -> verifier.VerifierModel:
    width = N if hidden is None else hidden
    return verifier.VerifierModel(
        weights=rng.normal(0, 1.5, width),
        bias=float(rng.normal()),
        mean=rng.normal(0, 1, N),
        scale=rng.uniform(0.2, 2.0, N),
        threshold=0.8,
        hidden_weights=None if hidden is None else rng.normal(0, 0.7, (N, hidden)),
        hidden_bias=None if hidden is None else rng.normal(0, 0.5, hidden),
    )


def random_rows(rng: np.random.Generator, count: int) -> np.ndarray:
    rows = rng.normal(0, 2, (count, N))
    rows[:, :9] = rng.uniform(0, 1, (count, 9))  # the shares and flags live in [0, 1]
    return rows


def candidates() -> list[Candidate]:
    def make(code: str, passed: int, sig: str | None, lp: float) -> Candidate:
        return Candidate(
            code=f"    return {code}",
            logprobs=[lp, lp, lp],
            examples_passed=passed,
            examples_total=2,
            errored=sig is None,
            signature=sig,
            record="ERROR: boom" if sig is None else "# return: (int)=3",
            description="Add.\n>>> add(1, 2)\n3",
        )

    return [
        make("a + b", 2, "s1", -0.2),
        make("a - b", 0, "s2", -0.1),
        make("1 / 0", 0, None, -0.3),
    ]


@pytest.mark.parametrize("hidden", [None, 16])
def test_the_graph_equals_the_numpy_reference(tmp_path: Path, hidden: int | None) -> None:
    rng = np.random.default_rng(7 if hidden is None else 8)
    built = random_model(rng, hidden)
    path = tmp_path / "verifier.json"
    built.save(path)
    onnx.checker.check_model(str(path.with_suffix(".onnx")), full_check=True)
    loaded = verifier.VerifierModel.load(path)
    assert loaded is not None and loaded.session is not None and loaded.kind == built.kind
    rows = random_rows(rng, 500)
    graph = loaded.predict(rows)
    reference = built.predict_reference(rows)
    assert graph.shape == (500,)
    np.testing.assert_allclose(graph, reference, rtol=0, atol=1e-5)
    assert reference.std() > 0.1  # the rows spread the probabilities: not a constant compared
    ops = [node.op_type for node in onnx.load(str(path.with_suffix(".onnx"))).graph.node]
    expected = ["Gemm", "Relu", "Gemm"] if hidden else ["Gemm"]
    assert ops == ["Sub", "Div", *expected, "Sigmoid", "Reshape"]


def test_the_shipped_graph_equals_its_numpy_reference() -> None:
    model = verifier.VerifierModel.load()
    assert model is not None and model.session is not None
    rows = random_rows(np.random.default_rng(3), 1000)
    np.testing.assert_allclose(model.predict(rows), model.predict_reference(rows), atol=1e-5)


class CountingSession:
    def __init__(self, session: Any) -> None:
        self.session, self.batches = session, []

    def run(self, outputs: list[str], feeds: dict[str, np.ndarray]) -> Any:
        self.batches.append(feeds[verifier.INPUT_NAME].shape)
        return self.session.run(outputs, feeds)


def test_all_candidates_of_a_request_are_scored_in_one_single_threaded_run() -> None:
    model = verifier.VerifierModel.load()
    assert model is not None
    options = model.session.get_session_options()
    assert (options.intra_op_num_threads, options.inter_op_num_threads) == (1, 1)
    assert model.session.get_providers() == ["CPUExecutionProvider"]
    counting = CountingSession(model.session)
    model.session = counting
    cands = candidates()
    probs = verifier.verify(cands, agreement.group_sizes(cands), model)
    assert counting.batches == [(3, N)]
    assert all(p is not None for p in probs)
    assert probs[0] > probs[1] and probs[0] > probs[2]  # type: ignore[operator]


def saved(tmp_path: Path) -> Path:
    path = tmp_path / "verifier.json"
    random_model(np.random.default_rng(1), 16).save(path)
    return path


def rewrite(path: Path, **changes: object) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data), encoding="utf-8")


def unavailable(path: Path, caplog: pytest.LogCaptureFixture, reason: str) -> None:
    with caplog.at_level(logging.WARNING, logger=verifier.__name__):
        model = verifier.VerifierModel.load(path)
    assert model is None
    warning = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "verifier unavailable" in warning and reason in warning, warning
    # Ranking goes on without the verifier: exactly as with the verifier switched off.
    cands = candidates()
    ranked = combine.rank(cands, RankingSettings(), model)
    off = combine.rank(cands, RankingSettings(verifier=False))
    assert [(r.index, r.score, r.verified, r.parts) for r in ranked] == [
        (r.index, r.score, r.verified, r.parts) for r in off
    ]
    assert cands[ranked[0].index].code == "    return a + b"
    assert all("verifier" not in r.parts and r.verifier is None for r in ranked)


def test_a_corrupted_graph_fails_its_hash(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = saved(tmp_path)
    graph = path.with_suffix(".onnx")
    blob = bytearray(graph.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    graph.write_bytes(bytes(blob))
    unavailable(path, caplog, "sha256")


def test_a_corrupt_graph_with_its_hash_is_refused_by_onnx_runtime(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = saved(tmp_path)
    garbage = b"not an onnx graph" * 10
    path.with_suffix(".onnx").write_bytes(garbage)
    rewrite(path, onnx={"file": "verifier.onnx", "sha256": verifier._sha256(garbage)})
    unavailable(path, caplog, "ONNX Runtime cannot load")


def test_a_missing_graph(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = saved(tmp_path)
    path.with_suffix(".onnx").unlink()
    unavailable(path, caplog, "cannot read")


def test_a_different_feature_list(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = saved(tmp_path)
    rewrite(path, features=[*verifier.FEATURES[:-1], "something_else"])
    unavailable(path, caplog, "features")


def test_a_graph_of_another_model_fails_the_probe(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rng = np.random.default_rng(2)
    path = tmp_path / "verifier.json"
    model = random_model(rng, None)
    rows = random_rows(rng, 6)
    model.save(path, extra={"probe": {"rows": rows.tolist(), "probs": [0.5] * 6}})
    unavailable(path, caplog, "probe rows")
    # With the right probabilities the same artifact loads.
    rewrite(path, probe={"rows": rows.tolist(), "probs": model.predict_reference(rows).tolist()})
    assert verifier.VerifierModel.load(path) is not None


# --- a corrupt default artifact, found the way the pipeline finds the shipped one -----------

SOURCE = (
    'def add(a, b):\n    """Add.\n\n    >>> add(1, 2)\n    3\n    >>> add(2, 3)\n    5\n    """\n'
)
EXAMPLES = [Example("add(1, 2)", "3", 3), Example("add(2, 3)", "5", 5)]


def returned(*values: int) -> CandidateRun:
    """A run that returned ``values`` on the examples (passing where they are 3 and 5)."""
    return CandidateRun(
        results=[
            ExampleResult(
                example=example,
                status="passed" if value == int(example.expected or 0) else "failed",
                actual_type="int",
                actual_repr=str(value),
                value_digest=f"int:{value}",
            )
            for example, value in zip(EXAMPLES, values, strict=True)
        ]
    )


def rank_in_pipeline(settings: Settings) -> tuple[GenerationResult, Pipeline]:
    """Rank three drawn bodies through Pipeline.rank, the verifier found as the pipeline does.

    Two pass one example each (failing the other differently), one passes none; the shipped
    verifier reorders the first two (see the test below), so its absence shows in the order.
    """
    bodies = [
        DrawnBody("    return a + b if a < 2 else 0", [-0.3] * 12),
        DrawnBody(
            "    s = a\n    s += b\n    if a > 1:\n        s += 1\n    return s", [-0.5] * 25
        ),
        DrawnBody("    return a * b", [-0.2] * 4),
    ]
    draw = Draw(bodies=bodies, sample_body=[0, 1, 2], prompt_format="raw")
    runs = [returned(3, 0), returned(3, 6), returned(2, 6)]
    (ctx,) = all_functions(SOURCE)
    pipeline = Pipeline(settings)  # no verifier given: it loads the default artifact itself
    return pipeline.rank(ctx, draw, runs, EXAMPLES), pipeline


def evidence(result: GenerationResult) -> list[tuple[str, float, bool, dict[str, float]]]:
    return [(c.body, c.score, c.verified, c.score_parts) for c in result.candidates]


def corrupt_json(artifact: Path) -> str:
    artifact.write_text(artifact.read_text(encoding="utf-8")[:200], encoding="utf-8")
    return f"cannot read {artifact}"


def corrupt_graph_bytes(artifact: Path) -> str:
    graph = artifact.with_suffix(".onnx")
    blob = bytearray(graph.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    graph.write_bytes(bytes(blob))
    return f"{graph} does not match the sha256"


def garbage_graph_with_its_hash(artifact: Path) -> str:
    garbage = b"not an onnx graph" * 10
    artifact.with_suffix(".onnx").write_bytes(garbage)
    rewrite(artifact, onnx={"file": "verifier.onnx", "sha256": verifier._sha256(garbage)})
    return "ONNX Runtime cannot load the verifier graph"


@pytest.mark.parametrize(
    "corrupt", [corrupt_json, corrupt_graph_bytes, garbage_graph_with_its_hash]
)
def test_a_corrupt_default_artifact_leaves_the_pipeline_ranking_as_with_the_verifier_off(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    corrupt: Callable[[Path], str],
) -> None:
    # The shipped artifact loads and reorders these candidates: the verifier is not a no-op here.
    shipped, shipped_pipeline = rank_in_pipeline(Settings())
    assert shipped_pipeline.verifier_model is not None
    off_settings = Settings()
    off_settings.ranking.verifier = False
    off, _ = rank_in_pipeline(off_settings)
    assert [c.body for c in shipped.candidates] != [c.body for c in off.candidates]
    assert all("verifier" in c.score_parts for c in shipped.candidates)

    # A copy of the shipped artifact, corrupted, stands where the pipeline looks for it: the
    # default path of VerifierModel.load, which Pipeline.verifier_model calls without one.
    artifact = tmp_path / verifier.DEFAULT_ARTIFACT.name
    artifact.write_bytes(verifier.DEFAULT_ARTIFACT.read_bytes())
    graph = verifier.DEFAULT_ARTIFACT.with_suffix(".onnx")
    artifact.with_suffix(".onnx").write_bytes(graph.read_bytes())
    reason = corrupt(artifact)
    # (The default is bound at import: setting verifier.DEFAULT_ARTIFACT would not move it.)
    load = verifier.VerifierModel.load.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(load, "__defaults__", (artifact,))

    with caplog.at_level(logging.WARNING, logger=verifier.__name__):
        result, pipeline = rank_in_pipeline(Settings())
    assert pipeline.verifier_model is None
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and warnings[0].startswith("verifier unavailable (")
    assert reason in warnings[0], warnings[0]
    # Ranking went on: the order, scores, verified marks and parts of the verifier switched off.
    assert evidence(result) == evidence(off)
    assert [c.verifier for c in result.candidates] == [None, None, None]
    assert [c.body.split("\n")[0] for c in result.candidates] == [
        "    return a + b if a < 2 else 0",
        "    s = a",
        "    return a * b",
    ]
    assert "the verifier is unavailable: ranked without it" in result.notes
    assert "the verifier is unavailable: ranked without it" not in off.notes
