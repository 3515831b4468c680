"""The real default model (prepared by `make model`, or on first use): reproducible, useful."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from codegen_lsp.engine.loader import load_engine
from codegen_lsp.engine.types import GenerationRequest
from codegen_lsp.settings import ModelSettings

pytestmark = pytest.mark.slow

PROMPT = '''def is_palindrome(text: str) -> bool:
    """Return True if text reads the same forwards and backwards.

    >>> is_palindrome("level")
    True
    >>> is_palindrome("abc")
    False
    """
'''
STOPS = ("\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#", "\nassert")


@pytest.fixture(scope="module")
def engine():  # type: ignore[no-untyped-def]
    return load_engine(ModelSettings(threads=2))


def test_seeded_sample_is_reproducible(engine) -> None:
    request = GenerationRequest(PROMPT, n=2, temperature=0.8, max_new_tokens=48, seed=7, stop=STOPS)
    first = engine.generate(request)
    second = engine.generate(request)
    assert [s.token_ids for s in first] == [s.token_ids for s in second]
    assert [s.logprobs for s in first] == [s.logprobs for s in second]


def test_greedy_completion_is_runnable_code(engine) -> None:
    sample = engine.generate(
        GenerationRequest(PROMPT, temperature=0.0, max_new_tokens=64, stop=STOPS)
    )[0]
    assert sample.finish_reason in ("stop", "eos")
    namespace: dict[str, object] = {}
    exec(compile(PROMPT + sample.text, "<sample>", "exec"), namespace)
    is_palindrome = namespace["is_palindrome"]
    assert callable(is_palindrome)
    assert is_palindrome("level") is True
    assert is_palindrome("abc") is False
    assert -2.0 < sample.mean_logprob <= 0.0


def test_stops_on_im_end_and_knows_fim(engine) -> None:
    assert engine.fim_tokens() == ("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>")
    assert engine.count_tokens("<|fim_middle|>") == 1
    chat = engine.chat_prompt([{"role": "user", "content": "Say hi."}])
    assert chat is not None and chat.endswith("<|im_start|>assistant\n")
    reply = engine.generate(GenerationRequest(chat, temperature=0.0, max_new_tokens=40))[0]
    assert reply.finish_reason == "eos"
    assert "<|im_end|>" not in reply.text


def test_shared_buffer_cache_draws_what_the_plain_cache_draws(engine) -> None:
    from codegen_lsp.engine.onnx_backend import OnnxEngine

    assert isinstance(engine, OnnxEngine) and engine.shared_buffer  # the int4 default's path
    # By default an int8 graph reads the prompts (model.int8Graph); compared here is the
    # int4 graph alone, with each cache.
    assert engine.int8_session is not engine.session
    shared = OnnxEngine(engine.directory, device="cpu", threads=2)
    plain = OnnxEngine(engine.directory, device="cpu", threads=2, shared_buffer=False)
    request = GenerationRequest(PROMPT, n=3, temperature=0.8, max_new_tokens=24, seed=3, stop=STOPS)
    shared_samples, plain_samples = shared.generate(request), plain.generate(request)
    assert [s.token_ids for s in shared_samples] == [s.token_ids for s in plain_samples]
    for ours, theirs in zip(shared_samples, plain_samples, strict=True):
        np.testing.assert_allclose(ours.logprobs, theirs.logprobs, atol=1e-3)


REPAIR_PROMPT = '''def count_vowels(text: str) -> int:
    """Return how many vowels text holds, upper or lower case.

    >>> count_vowels("Banana")
    3
    """
    total = 0
    for letter in text:
        if letter in "aeiou":
            total += 1
    return total

# The example failed: count_vowels("AEIOU") returned 0, not 5. Corrected:

def count_vowels(text: str) -> int:
    """Return how many vowels text holds, upper or lower case.
'''


def test_prompt_lookup_keeps_greedy_output_and_accepts_drafts(engine) -> None:
    # A repair prompt: the corrected body repeats most of the failed one, so drafts pass.
    request = GenerationRequest(REPAIR_PROMPT, temperature=0.0, max_new_tokens=80, stop=STOPS)
    plain = engine.generate(replace(request, prompt_lookup=False))[0]
    drafted = engine.generate(request)[0]
    assert drafted.token_ids == plain.token_ids and drafted.text == plain.text
    assert drafted.finish_reason == plain.finish_reason == "stop"
    assert "total += 1" in drafted.text
    assert drafted.timings.accepted_draft_tokens > len(drafted.token_ids) // 3
    # int4's kernels round a several-position pass differently from a one-position step (as
    # they do a prefill chunk): logits differ by up to about 0.2, log-probs by up to 0.1.
    np.testing.assert_allclose(drafted.logprobs, plain.logprobs, atol=0.15)


def test_rows_over_one_copy_of_a_long_prompt_compute_what_copies_compute(engine) -> None:
    # An editor's prompt: the file's helpers before the function (here the standard library's
    # textwrap module), about 1,500 tokens that the 8 rows of a request read at every step.
    import inspect
    import textwrap

    from codegen_lsp.engine.local import prepare_int8_graph
    from codegen_lsp.engine.onnx_backend import OnnxEngine

    assert isinstance(engine, OnnxEngine) and engine.shares_prompt
    int8_graph = prepare_int8_graph(ModelSettings(threads=2), engine.directory)
    copies = OnnxEngine(
        engine.directory, device="cpu", threads=2, int8_directory=int8_graph, shared_prompt=False
    )
    ids = engine.facts.encode(inspect.getsource(textwrap) + "\n\n" + PROMPT)[-1500:]
    fed = engine.facts.encode("    return text == text[::-1]\n")
    logits = {}
    for name, model in (("shared", engine), ("copies", copies)):
        _, state = model.prefill(ids, len(ids) - 1, len(ids) + len(fed) + 1)
        state = model.expand(state, 8)
        steps = []
        for token in fed:  # every row fed the same text, each over its own positions
            step, state = model.step(np.full(8, token, dtype=np.int64), state)
            steps.append(np.array(step))
        logits[name] = np.stack(steps)
    # The int8 graph rounds its activations per pass, so a pass of 8 positions in one row and
    # one of 8 rows differ a little (as a prefill chunk and steps do); a row that saw its
    # siblings' positions, or sat at the wrong rotary position, would differ by several units.
    difference = np.abs(logits["shared"] - logits["copies"]).max(axis=-1)
    assert difference.max() < 2.0, difference
    same_choice = logits["shared"].argmax(-1) == logits["copies"].argmax(-1)
    assert same_choice.mean() >= 0.9, same_choice
