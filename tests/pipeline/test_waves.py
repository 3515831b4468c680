"""Sampling in waves: stop after the first samples when enough pass every example.

The rule (``draws.draw_in_waves``) on real draws and real sandbox runs, then the whole
pipeline through the real remote engine with a scripted model: a first wave whose samples
pass ends the request there and says so; one whose samples fail draws the rest.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from codegen_lsp import execution
from codegen_lsp.context import find_function
from codegen_lsp.draws import Draw, Waves, collect_bodies, draw_in_waves
from codegen_lsp.execution import docstring_examples
from codegen_lsp.outcomes import GenerationResult
from codegen_lsp.pipeline import Pipeline
from codegen_lsp.sandbox.runner import Sandbox
from codegen_lsp.sandbox.types import CandidateRun
from codegen_lsp.settings import SandboxSettings, Settings
from support.scripted_model import Reply, ScriptedModel, body, implementing, proposing

SOURCE = '''def double(x: int) -> int:
    """Double x.

    >>> double(2)
    4
    >>> double(-1)
    -2
    """
'''
RIGHT = "    return 2 * x"
ALSO_RIGHT = "    return x + x"
WRONG = "    return x * x"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxSettings(timeout_s=5.0)) as box:
        yield box


class Recorder:
    """Draws the scripted samples slice by slice and runs bodies on the real sandbox."""

    def __init__(self, samples: list[str], sandbox: Sandbox) -> None:
        self.ctx = find_function(SOURCE, 0)
        self.samples = samples
        self.sandbox = sandbox
        self.slices: list[tuple[int, int]] = []
        self.ran: list[list[str]] = []

    def sample(self, start: int, count: int) -> Draw:
        self.slices.append((start, count))
        texts = self.samples[start : start + count]
        return collect_bodies(texts, [[-0.5]] * len(texts), self.ctx)

    def run(self, bodies: list[str]) -> list[CandidateRun]:
        self.ran.append(bodies)
        codes = [self.ctx.module_with_body(b) for b in bodies]
        examples = docstring_examples(self.ctx)
        return self.sandbox.run_many(codes, "double", examples)


def test_a_first_wave_that_passes_ends_the_draw(sandbox: Sandbox) -> None:
    recorder = Recorder([RIGHT, ALSO_RIGHT, WRONG, WRONG, WRONG, WRONG], sandbox)
    drawn = draw_in_waves(Waves(6, 3, 2), True, recorder.sample, recorder.run)
    assert drawn.stopped_early
    assert recorder.slices == [(0, 3)]
    assert len(drawn.draw.sample_body) == 3
    assert drawn.draw.passing_samples(drawn.runs) == 2


def test_a_first_wave_short_of_passing_draws_the_rest_and_runs_only_new_bodies(
    sandbox: Sandbox,
) -> None:
    recorder = Recorder([RIGHT, WRONG, WRONG, WRONG, ALSO_RIGHT, RIGHT], sandbox)
    drawn = draw_in_waves(Waves(6, 3, 2), True, recorder.sample, recorder.run)
    assert not drawn.stopped_early
    assert recorder.slices == [(0, 3), (3, 3)]
    # WRONG and RIGHT came back in the second wave: counted as copies, not run again.
    assert recorder.ran == [[RIGHT, WRONG], [ALSO_RIGHT]]
    assert [(b.body, b.duplicates) for b in drawn.draw.bodies] == [
        (RIGHT, 2),
        (WRONG, 3),
        (ALSO_RIGHT, 1),
    ]
    assert drawn.draw.sample_body == [0, 1, 1, 1, 2, 0]
    assert len(drawn.runs) == len(drawn.draw.bodies)
    assert drawn.draw.passing_samples(drawn.runs) == 3


def test_without_examples_that_judge_everything_is_drawn_at_once(sandbox: Sandbox) -> None:
    recorder = Recorder([RIGHT] * 6, sandbox)
    drawn = draw_in_waves(Waves(6, 3, 2), False, recorder.sample, recorder.run)
    assert not drawn.stopped_early
    assert recorder.slices == [(0, 6)]


def test_waves_off_draw_everything_at_once(sandbox: Sandbox) -> None:
    recorder = Recorder([RIGHT] * 6, sandbox)
    draw_in_waves(Waves(6, 0, 2), True, recorder.sample, recorder.run)
    assert recorder.slices == [(0, 6)]


@pytest.fixture
def scripted() -> Iterator[ScriptedModel]:
    model = ScriptedModel()
    yield model
    model.close()


def _pipeline(model: ScriptedModel) -> Pipeline:
    settings = Settings()
    settings.model.remote_url = model.url
    settings.model.remote_retries = 0
    settings.sampling.n = 6
    settings.sampling.first_wave = 3
    settings.sampling.enough_passing = 2
    settings.sampling.prompt_format = "chat"
    settings.ranking.verifier = False
    settings.sampling.repair_samples = 0  # the waves alone: the repair round's tests set it
    return Pipeline(settings)


def _implement(
    model: ScriptedModel, written: list[str]
) -> tuple[GenerationResult, list[tuple[str, int, int]]]:
    """Implement ``double`` from SOURCE with the scripted bodies; return it and its progress."""
    model.script(implementing("double"), [body(text.strip()) for text in written])
    pipeline = _pipeline(model)
    stages: list[tuple[str, int, int]] = []
    try:
        result = pipeline.implement(
            SOURCE,
            0,
            progress=lambda stage, done, total, passing=None: stages.append((stage, done, total)),
        )
    finally:
        pipeline.close()
    return result, stages


@pytest.mark.parametrize(
    ("written", "drawn", "stopped"), [(RIGHT, 3, True), (WRONG, 6, False)], ids=["pass", "fail"]
)
def test_the_pipeline_stops_at_the_first_wave_only_when_it_passes(
    scripted: ScriptedModel, written: str, drawn: int, stopped: bool
) -> None:
    result, stages = _implement(scripted, [written])
    assert sum(c.duplicates for c in result.candidates) == drawn
    note = "stopped after 3 of 6 samples: 3 already pass every example (sampling.firstWave)"
    assert (note in result.notes) is stopped
    sampling = [(done, total) for stage, done, total in stages if stage == "sampling"]
    assert sampling[-1] == (drawn, 6)  # the count goes on across waves, out of all n


@pytest.mark.parametrize(
    ("written", "drawn"),
    [
        ([RIGHT, ALSO_RIGHT], 3),  # both pass, and act alike near the examples: decisive
        # Both pass double(2) and double(-1), but part ways on double(3): more samples decide.
        ([RIGHT, "    return 2 * x if x < 3 else 2 * x + 1"], 6),
        # Both refuse double(27), one with a KeyError and one with a ValueError: that is alike.
        (
            [
                "    return 2 * x if x < 20 else {}[x]",
                "    return x + x if x < 20 else int('big')",
            ],
            3,
        ),
    ],
    ids=["alike", "parting", "refusing-alike"],
)
def test_a_passing_first_wave_ends_the_draw_only_when_it_acts_alike_near_the_examples(
    scripted: ScriptedModel, written: list[str], drawn: int
) -> None:
    result, stages = _implement(scripted, written)
    assert sum(c.duplicates for c in result.candidates) == drawn
    stopped = (
        "stopped after 3 of 6 samples: 3 already pass every example and act alike on the 6 calls "
        "near them (sampling.firstWave)"
    )
    assert (stopped in result.notes) is (drawn == 3), result.notes
    assert "compared on 6 inputs near the examples" in result.notes
    # The first wave's two bodies ran near the examples once, to decide; the second wave adds
    # no new body (the script repeats), so nothing runs near them again.
    compared = [total for stage, done, total in stages if stage == "comparing on inputs"]
    assert compared[0] == 2 and compared.count(0) == 0 and len(set(compared)) == 1
    runs_started = [done for stage, done, _ in stages if stage == "comparing on inputs"]
    assert runs_started.count(0) == 1


def _repairing_pipeline(model: ScriptedModel, repair_samples: int) -> Pipeline:
    pipeline = _pipeline(model)
    pipeline.settings.sampling.first_wave = 0
    pipeline.settings.sampling.repair_samples = repair_samples
    return pipeline


def _implemented(
    model: ScriptedModel, source: str, repair_samples: int, line: int = 0
) -> GenerationResult:
    """Implement the function on ``source``'s ``line``, repairing with that many samples."""
    pipeline = _repairing_pipeline(model, repair_samples)
    try:
        return pipeline.implement(source, line)
    finally:
        pipeline.close()


def test_when_nothing_passes_one_repair_round_shows_the_failure_and_answers(
    scripted: ScriptedModel,
) -> None:
    scripted.script(implementing("double"), [body(WRONG.strip())])
    # The repair prompt quotes the failing example; its answer is right.
    scripted.script(r"fails this example: `double\(-1\)` returned 1", [body(RIGHT.strip())])
    result = _implemented(scripted, SOURCE, 2)
    best = result.candidates[0]
    assert best.body.strip() == RIGHT.strip()
    assert best.run.passed == best.run.total == 2
    assert [c.body.strip() for c in result.candidates] == [RIGHT.strip(), WRONG.strip()]
    assert result.notes[0] == (
        "no sample passed every example; repaired once on `double(-1)` returned 1, expected -2"
    )
    # The round draws hotter than the first (sampling.repairTemperature): shown its failure,
    # the model mostly writes the same body again at the usual temperature.
    temperatures = {
        "fails this example" in str(request["prompt"]): request["temperature"]
        for request in scripted.stub.requests
        if request["temperature"]  # the greedy sample of each round asks for 0
    }
    assert temperatures == {False: 0.8, True: 1.2}, temperatures
    # It is told the failure, not shown the body that failed: shown it, the model mostly
    # writes that body again.
    repair_prompts = [p for p in scripted.prompts if "fails this example" in p]
    assert repair_prompts and all(WRONG.strip() not in p for p in repair_prompts)


def test_a_repair_round_that_finds_nothing_leaves_the_answer_and_says_so(
    scripted: ScriptedModel,
) -> None:
    scripted.script(implementing("double"), [body(WRONG.strip())])
    result = _implemented(scripted, SOURCE, 2)
    assert [c.body.strip() for c in result.candidates] == [WRONG.strip()]
    assert any("one repair round" in note and "found nothing" in note for note in result.notes)
    asked = [p for p in scripted.prompts if "fails this example" in p]
    assert asked  # the round ran


def test_without_the_setting_there_is_no_repair_round(scripted: ScriptedModel) -> None:
    scripted.script(implementing("double"), [body(WRONG.strip())])
    pipeline = _repairing_pipeline(scripted, 0)
    try:
        pipeline.implement(SOURCE, 0)
    finally:
        pipeline.close()
    assert not [p for p in scripted.prompts if "fails this example" in p]


NO_EXAMPLES = 'def double(x: int) -> int:\n    """Double x."""\n'


@pytest.mark.parametrize(
    ("written", "switch", "drawn"),
    [
        ([RIGHT, ALSO_RIGHT], True, 3),  # two bodies, one behaviour on every input: decisive
        ([RIGHT, WRONG], True, 6),  # they part ways: draw the rest
        ([RIGHT, ALSO_RIGHT], False, 6),  # sampling.firstWaveWithoutExamples off
        # Alike, raising on few inputs, but an error of broken code: more samples may run.
        (
            [
                "    return 2 * x if x > 0 else x.double()",
                "    return x + x if x > 0 else x.twice()",
            ],
            True,
            6,
        ),
    ],
    ids=["agree", "disagree", "switched-off", "broken"],
)
def test_without_examples_a_first_wave_that_behaves_as_one_ends_the_draw(
    scripted: ScriptedModel, written: list[str], switch: bool, drawn: int
) -> None:
    scripted.script(implementing("double"), [body(text.strip()) for text in written])
    pipeline = _pipeline(scripted)
    pipeline.settings.sampling.first_wave_without_examples = switch
    try:
        result = pipeline.implement(NO_EXAMPLES, 0)
    finally:
        pipeline.close()
    assert sum(c.duplicates for c in result.candidates) == drawn
    note = (
        "stopped after 3 of 6 samples: they all behave alike on every input "
        "(sampling.firstWaveWithoutExamples)"
    )
    assert (note in result.notes) is (drawn == 3)
    # Stopped or not, the title's evidence is there: every sample on every input.
    top = result.candidates[0].score_parts
    assert top["inputs"] == len(result.inputs) > 0 and top["samples"] == drawn


def test_the_inputs_compared_on_are_made_once_per_request(
    scripted: ScriptedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first wave parts ways, so the whole draw is compared too: on the same inputs, which
    # are drawn, proposed and checked in the sandbox once, not once per comparison.
    made: list[int] = []
    real = execution.probe_calls

    def counted(*args: object, **kwargs: object) -> tuple[list[str], list[str]]:
        made.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(execution, "probe_calls", counted)
    scripted.script(implementing("double"), [body(RIGHT.strip()), body(WRONG.strip())])
    pipeline = _pipeline(scripted)
    try:
        result = pipeline.implement(NO_EXAMPLES, 0)
    finally:
        pipeline.close()
    assert sum(c.duplicates for c in result.candidates) == 6 and result.inputs
    assert len(made) == 1


SITTINGS = '''def passed(marks: list[int], pass_mark: int = 40) -> int:
    """Return how many marks reach the pass mark."""
'''
LOOPS_OVER_ITSELF = "return sum(1 for mark in mark if mark >= pass_mark)"
ALSO_LOOPS = "return len([mark for mark in mark if mark >= pass_mark])"
COUNTS = "return sum(1 for mark in marks if mark >= pass_mark)"


@pytest.mark.parametrize("repaired", [True, False], ids=["repaired", "still-broken"])
def test_without_examples_code_broken_in_every_sample_gets_one_repair_round(
    scripted: ScriptedModel, repaired: bool
) -> None:
    # A user's `passed(sittings)`: all 8 samples looped `for sitting in sitting` and raised
    # UnboundLocalError on every input (in a comprehension: NameError); no ranking can choose
    # among bodies that all fail alike, a repair can.
    scripted.script(implementing("passed"), [body(LOOPS_OVER_ITSELF, -0.2), body(ALSO_LOOPS)])
    fix = COUNTS if repaired else "return len(marks) + mark"
    scripted.script(r"raised NameError: name 'mark'", [body(fix)])
    result = _implemented(scripted, SITTINGS, 2)
    told = [p for p in scripted.prompts if "raised NameError: name 'mark'" in p]
    assert told and all(LOOPS_OVER_ITSELF not in p for p in told)
    bodies = [c.body.strip() for c in result.candidates]
    if repaired:
        assert bodies == [COUNTS, LOOPS_OVER_ITSELF, ALSO_LOOPS]
        assert result.notes[0].startswith("the top sample's code was broken; repaired once on `")
        assert result.candidates[0].score_parts["broken"] == 0
    else:
        assert bodies == [LOOPS_OVER_ITSELF, ALSO_LOOPS]
        assert any("found no body that runs" in note for note in result.notes), result.notes


BROKEN_WHEN_EMPTY = "return sum(1 for mark in marks if mark >= pass_mark) if marks else marks.size"
ALSO_BROKEN_WHEN_EMPTY = "return len([m for m in marks if m >= pass_mark]) if marks else marks.size"


def test_a_repair_that_raises_on_more_inputs_than_the_broken_top_is_not_taken(
    scripted: ScriptedModel,
) -> None:
    # A user's `nights(booking)`: the top was broken on one input of 11, and the repair round's
    # best raised TypeError on all 11 (no error of broken code), yet came first.
    scripted.script(
        implementing("passed"), [body(BROKEN_WHEN_EMPTY, -0.2), body(ALSO_BROKEN_WHEN_EMPTY)]
    )
    scripted.script(r"has no attribute 'size'", [body("raise TypeError('marks')")])
    result = _implemented(scripted, SITTINGS, 2)
    assert [p for p in scripted.prompts if "has no attribute 'size'" in p]
    tops = [c.body.strip() for c in result.candidates]
    assert tops == [BROKEN_WHEN_EMPTY, ALSO_BROKEN_WHEN_EMPTY]
    assert any("found no body that runs" in note for note in result.notes), result.notes


CLIP = '''import textwrap


def clip(text: str, width: int) -> str:
    """Clip the text to width characters, ending in "..." when cut."""
'''
TEXTWRAP_BLOCK = (
    "# textwrap: installed in the project's environment, not the project's code\n"
    "# textwrap.shorten(text, width, **kwargs) -> str: Collapse and truncate the text.\n"
    "# textwrap also has: dedent, fill, indent, wrap"
)


def test_a_repair_round_is_told_the_members_a_library_has(scripted: ScriptedModel) -> None:
    # Told only that `humanize.format_price` does not exist, a user's repair round wrote it
    # again; told what the module has, the model can pick a member that exists.
    invented = ["return textwrap.clip_text(text, width)", "return textwrap.clip(text, width)"]
    scripted.script(implementing("clip"), [body(invented[0], -0.2), body(invented[1])])
    scripted.script(r"`textwrap` has: shorten, dedent, fill", [body("return text[:width]")])
    pipeline = _repairing_pipeline(scripted, 2)
    ctx = find_function(CLIP, 3)
    ctx.definitions = [TEXTWRAP_BLOCK]
    try:
        result = pipeline.implement_context(ctx)
    finally:
        pipeline.close()
    assert [p for p in scripted.prompts if "`textwrap` has: shorten, dedent, fill" in p]
    assert result.candidates[0].body.strip() == "return text[:width]", result.notes


def test_a_lone_body_is_compared_on_the_inputs_and_repaired_when_broken(
    scripted: ScriptedModel,
) -> None:
    # Every sample the same body: it was shown without inputs, notes or a repair round.
    scripted.script(implementing("passed"), [body(LOOPS_OVER_ITSELF)])
    scripted.script(r"raised NameError: name 'mark'", [body(COUNTS)])
    result = _implemented(scripted, SITTINGS, 2)
    assert result.inputs
    assert [c.body.strip() for c in result.candidates] == [COUNTS, LOOPS_OVER_ITSELF]


STAYS = '''from dataclasses import dataclass


@dataclass
class Stay:
    guest: str
    nightly_cents: int
    nights: int


def price(stay: Stay) -> int:
    """Return the stay's price in cents."""
'''


def test_a_repair_round_is_told_the_attributes_an_object_has(scripted: ScriptedModel) -> None:
    invented = ["return stay.cost * stay.nights", "return stay.nights * stay.cost"]
    scripted.script(implementing("price"), [body(invented[0], -0.2), body(invented[1])])
    told = r"`Stay` has: guest, nightly_cents, nights"
    scripted.script(told, [body("return stay.nightly_cents * stay.nights")])
    result = _implemented(
        scripted, STAYS, 2, STAYS.splitlines().index("def price(stay: Stay) -> int:")
    )
    assert [p for p in scripted.prompts if "`Stay` has: guest, nightly_cents, nights" in p]
    assert result.candidates[0].body.strip() == "return stay.nightly_cents * stay.nights"


def test_a_top_that_misuses_an_object_of_the_hints_class_gets_a_repair_round(
    scripted: ScriptedModel,
) -> None:
    # A ledger's `price` looped over the `Room` it looked up: a TypeError on every input, no
    # error of broken code, so no repair round was drawn.
    loops = ["return sum(n for n in stay)", "return sum(list(stay))"]
    scripted.script(implementing("price"), [body(loops[0], -0.2), body(loops[1])])
    scripted.script(
        "'Stay' object is not iterable", [body("return stay.nightly_cents * stay.nights")]
    )
    line = STAYS.splitlines().index("def price(stay: Stay) -> int:")
    result = _implemented(scripted, STAYS, 2, line)
    assert result.candidates[0].body.strip() == "return stay.nightly_cents * stay.nights"
    assert result.notes[0].startswith("the top sample's code was broken; repaired once on `")


def test_code_broken_in_only_some_samples_gets_no_repair_round(scripted: ScriptedModel) -> None:
    scripted.script(implementing("passed"), [body(LOOPS_OVER_ITSELF), body(COUNTS)])
    result = _implemented(scripted, SITTINGS, 2)
    assert result.candidates[0].body.strip() == COUNTS
    assert not [p for p in scripted.prompts if "raised NameError" in p]


def test_without_type_hints_broken_looking_code_gets_no_repair_round(
    scripted: ScriptedModel,
) -> None:
    # Without hints the inputs are the model's guesses: an int where every body splits a
    # string raises AttributeError in all of them, and that is the input's fault.
    unhinted = 'def passed(marks, pass_mark=40):\n    """Return how many marks reach it."""\n'
    scripted.script(implementing("passed"), [body(LOOPS_OVER_ITSELF, -0.2), body(ALSO_LOOPS)])
    scripted.script(proposing("passed"), [Reply("[50, 30]) == 1\nassert passed([]) == 0\n```")])
    result = _implemented(scripted, unhinted, 2)
    assert result.inputs and result.candidates[0].score_parts["broken"] > 0
    assert not [p for p in scripted.prompts if "raised NameError" in p]


SCALED = '''from dataclasses import dataclass


@dataclass
class Money:
    cents: int


def scaled(price: Money, times: int) -> Money:
    """Return the price times the given number."""
'''


def test_arithmetic_a_hinted_class_does_not_have_is_broken_code_and_gets_a_repair(
    scripted: ScriptedModel,
) -> None:
    # A user's `Money` has `+` and no `*`: every sample wrote `line.unit_price * line.quantity`
    # and raised "unsupported operand type(s)" on every input its hints allow.
    scripted.script(
        implementing("scaled"), [body("return price * times"), body("return times * price")]
    )
    scripted.script(r"unsupported operand type", [body("return Money(price.cents * times)")])
    pipeline = _repairing_pipeline(scripted, 2)
    try:
        result = pipeline.implement(
            SCALED, SCALED.splitlines().index("def scaled(price: Money, times: int) -> Money:")
        )
    finally:
        pipeline.close()
    assert result.candidates[0].body.strip() == "return Money(price.cents * times)", result.notes
    assert result.notes[0].startswith("the top sample's code was broken; repaired once on `scaled(")
    assert "TypeError: unsupported operand type(s) for *" in result.notes[0]
    assert [c.score_parts["broken"] > 0 for c in result.candidates] == [False, True, True]
