"""Code actions, resolve, the generate command and its progress, per recorded client."""

from __future__ import annotations

import re

import pytest
from codegen_lsp.lsp.actions import EARLY_MARK, GENERATE, GENERATE_TITLE, REGENERATE_TITLE
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from support.lsp_session import (
    ADD_FAILS_ONE,
    ADD_LINE,
    ADD_PASSES,
    ADD_RAISES,
    SOURCE,
    Session,
    edits_of,
    until,
)
from support.scripted_model import ScriptedModel, body, implementing, proposing

BODY_LINE = ADD_LINE + 8  # the `...` of add()
# A body replaces everything from the docstring's closing quotes to the end of the `...`.
PLACEHOLDER = types.Range(
    start=types.Position(line=BODY_LINE - 1, character=7),
    end=types.Position(line=BODY_LINE, character=7),
)
# Evidence in words, then the code's gist; never a bare number.
EVIDENCE = re.compile(
    r"^Implement: (?:(?P<passed>\d+)/(?P<total>\d+) examples pass|does not run: \S.*|"
    r"no examples to check|no examples · \d+/\d+ agree on \d+ inputs"
    r"(?: · raises as documented on \d+)?(?: · raises on \d+)?(?: · ignores [\w, ]+)?)"
    r"(?: — \S.*)?$"
)

RESOLVES = {"neovim", "visual_studio_code", "lsp_3_18"}
SHOWS_DISABLED = {"visual_studio_code", "lsp_3_18"}
VERSIONED = {"emacs", "visual_studio_code", "lsp_3_18"}
CONTENT_MODIFIED = types.LSPErrorCodes.ContentModified.value
FAILS_ONE_TITLE = f"Implement anyway (fails: `add(-1, 1)` returned 2, expected 0) — {ADD_FAILS_ONE}"
# The data every candidate action carries, which clients read instead of the title.
EVIDENCE_KEYS = {"examplesPassed", "examplesTotal", "passes", "score", "scoreMeaning", "verified"}
RAISES_TITLE = (
    "Implement anyway (fails: `add(1, 2)` raised ValueError: scripted failure, expected 3)"
    f" — {ADD_RAISES}"
)


def _tags(action: types.CodeAction) -> list[types.CodeActionTag] | None:
    return None if action.tags is None else list(action.tags)


def _evidence(action: types.CodeAction) -> tuple[int, int]:
    """Return (examples passed, examples run) from a candidate's title."""
    match = EVIDENCE.match(action.title)
    assert match is not None and match.group("total") is not None, action.title
    return int(match.group("passed")), int(match.group("total"))


def _passes(action: types.CodeAction) -> bool:
    if action.title.startswith("Implement anyway ("):
        return False
    match = EVIDENCE.match(action.title)
    assert match is not None, action.title
    if "does not run" in action.title:
        return False
    if match.group("total") is None:
        return True
    return match.group("passed") == match.group("total")


async def test_generate_is_offered_until_candidates_exist(session: Session) -> None:
    session.open()
    actions = await session.actions(BODY_LINE)
    assert [a.title for a in actions] == [GENERATE_TITLE]
    (action,) = actions
    assert action.command is not None and action.command.command == GENERATE
    assert action.edit is None
    expected_tags = [types.CodeActionTag.LlmGenerated] if session.name == "lsp_3_18" else None
    assert _tags(action) == expected_tags
    # Outside a function, nothing.
    assert await session.actions(BODY_LINE + 2, 0) == []


@pytest.mark.scripted_model
async def test_generate_reports_progress_and_applies_the_best(
    session: Session, scripted: ScriptedModel
) -> None:
    session.open()
    (generate,) = await session.actions(BODY_LINE)
    summary = await session.command_request(generate)

    # Work-done progress: begin (cancellable), stage reports, end.
    (reports,) = session.client.progress_reports.values()
    assert isinstance(reports[0], types.WorkDoneProgressBegin) and reports[0].cancellable
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)
    stages = {r.message.split(" ")[0] for r in reports[1:-1] if r.message}
    assert "sampling" in stages

    # Three distinct bodies, one passing: the passing one is applied although the model found
    # it the least likely, to the version it was computed on.
    assert (summary["candidates"], summary["passing"], summary["applied"]) == (3, 1, True)
    assert summary["title"].startswith("Implement: 2/2 examples pass")
    (edit,) = session.applied
    ((version, text_edit),) = edits_of(edit)
    assert version == (1 if session.name in VERSIONED else None)
    assert text_edit == types.TextEdit(range=PLACEHOLDER, new_text=f"\n    {ADD_PASSES}")
    assert session.text.splitlines()[BODY_LINE] == f"    {ADD_PASSES}"
    assert await session.actions(BODY_LINE) != [generate]
    assert any(re.search(implementing("add"), prompt, re.DOTALL) for prompt in scripted.prompts)
    # The log: the settings once, one line for the job with its outcome.
    log = session.log_text()
    assert log.count("settings: Settings(") == 1
    assert re.search(
        r"implement of add@0 in \S+ v1: done in \d+\.\d s: 3 candidates, 1 passing", log
    )


@pytest.mark.scripted_model
async def test_generate_says_so_when_nothing_passes(
    session: Session, scripted: ScriptedModel
) -> None:
    scripted.script(implementing("add"), [body(ADD_FAILS_ONE), body(ADD_RAISES)])
    session.open()
    (generate,) = await session.actions(BODY_LINE)
    summary = await session.command_request(generate)
    assert (summary["candidates"], summary["passing"], summary["applied"]) == (2, 0, False)
    assert session.applied == []
    assert session.text == SOURCE
    assert any("no candidate passed" in m.message for m in session.client.messages)


@pytest.mark.scripted_model
@pytest.mark.lsp_settings({"server": {"warmup": True, "warmupDelayMs": 50}})
async def test_ranked_candidates_become_actions(session: Session) -> None:
    session.open()
    actions = await session.warmed_actions(BODY_LINE)
    candidates = [a for a in actions if a.title.startswith("Implement")]
    assert candidates == actions  # one passes: no "again" action
    # One candidate per scripted body, the passing one first and preferred, then by likelihood.
    # Where failing ones cannot be greyed out, their titles lead with the failure.
    assert _evidence(candidates[0]) == (2, 2)
    if session.name in SHOWS_DISABLED:
        assert [_evidence(a) for a in candidates[1:]] == [(1, 2), (0, 2)]
    else:
        assert [a.title for a in candidates[1:]] == [FAILS_ONE_TITLE, RAISES_TITLE]
    assert [a.is_preferred for a in candidates] == [True, None, None]
    # Every client gets the evidence as data too, the same for all: the scores go there.
    evidence = [a.data["evidence"] for a in candidates]
    assert all(e.keys() >= EVIDENCE_KEYS for e in evidence), evidence
    assert [(e["examplesPassed"], e["examplesTotal"], e["passes"]) for e in evidence] == [
        (2, 2, True),
        (1, 2, False),
        (0, 2, False),
    ]
    assert evidence[1]["failure"] == "`add(-1, 1)` returned 2, expected 0"
    assert all(0.0 <= e["score"] <= 1.0 for e in evidence)
    bodies = []
    for action in candidates:
        expected_tags = [types.CodeActionTag.LlmGenerated] if session.name == "lsp_3_18" else None
        assert _tags(action) == expected_tags
        assert action.data["kind"] == "codegenLsp.candidate"
        if not _passes(action) and session.name in SHOWS_DISABLED:
            assert action.disabled is not None
            assert "expected" in action.disabled.reason or "raised" in action.disabled.reason
            assert action.edit is None
            continue
        assert action.disabled is None
        if session.name in RESOLVES:
            assert action.edit is None
            resolved = await session.client.code_action_resolve_async(action)
            edit = resolved.edit
        else:
            edit = action.edit
        assert edit is not None
        ((version, text_edit),) = edits_of(edit)
        assert version == (1 if session.name in VERSIONED else None)
        assert text_edit.range == PLACEHOLDER
        bodies.append(text_edit.new_text.strip())
    expected = [ADD_PASSES] if session.name in SHOWS_DISABLED else [ADD_PASSES, ADD_FAILS_ONE]
    assert bodies[: len(expected)] == expected


@pytest.mark.scripted_model
@pytest.mark.lsp_settings({"server": {"warmup": True, "warmupDelayMs": 50}})
async def test_warm_up_shows_its_progress(session: Session) -> None:
    # Every recorded client shows server-initiated progress: warm-up is never silent work.
    session.open()
    await session.warmed_actions(BODY_LINE)
    await until(
        lambda: any(
            isinstance(reports[-1], types.WorkDoneProgressEnd)
            for reports in session.client.progress_reports.values()
        )
    )
    (reports,) = session.client.progress_reports.values()
    begin, *middle, end = reports
    assert isinstance(begin, types.WorkDoneProgressBegin) and begin.cancellable
    assert begin.title == "codegen: preparing candidates for add"
    messages = [r.message for r in middle]
    assert "sampling 3/3" in messages and "running examples 3/3 · 1 pass" in messages
    # How many pass so far moves with the runs: never down, and one of the three in the end.
    so_far = [
        (int(m.group(1)), int(m.group(2)))
        for m in (re.fullmatch(r"running examples (\d)/3 · (\d) pass", x or "") for x in messages)
        if m
    ]
    assert so_far[0] == (0, 0) and so_far[-1] == (3, 1) and so_far == sorted(so_far), so_far
    percentages = [r.percentage for r in middle]
    assert percentages == sorted(percentages)  # the bar only moves forward
    assert isinstance(end, types.WorkDoneProgressEnd) and end.message == "done"


@pytest.mark.scripted_model
@pytest.mark.lsp_settings({"server": {"warmup": True, "warmupDelayMs": 50}})
async def test_when_nothing_passes_no_action_is_preferred_and_another_try_is_offered(
    session: Session, scripted: ScriptedModel
) -> None:
    scripted.script(implementing("add"), [body(ADD_FAILS_ONE), body(ADD_RAISES, -0.9)])
    session.open()
    actions = await session.warmed_actions(BODY_LINE)
    # Warm-up found nothing that passes: the offer is to generate, not "again" (the user has
    # not asked yet), and it draws fresh samples.
    assert [a.title for a in actions[2:]] == [GENERATE_TITLE]
    if session.name in SHOWS_DISABLED:
        assert [_evidence(a) for a in actions[:2]] == [(1, 2), (0, 2)]
    else:
        assert [a.title for a in actions[:2]] == [FAILS_ONE_TITLE, RAISES_TITLE]
    assert not any(a.is_preferred for a in actions)
    summary = await session.command_request(actions[2])
    assert (summary["candidates"], summary["passing"]) == (2, 0)
    asked = [p for p in scripted.prompts if re.search(implementing("add"), p, re.DOTALL)]
    # Two draws, each followed by the repair round (sampling.repairSamples, on by default):
    # nothing passed, so the model was shown the failure too, and still nothing passed.
    repairs = [p for p in asked if "fails this example" in p]
    assert len(asked) - len(repairs) == 2 and repairs
    # Once the user has asked and nothing passed, the offer is to try again.
    actions = await session.actions(BODY_LINE)
    assert [a.title for a in actions[2:]] == [REGENERATE_TITLE]


@pytest.mark.scripted_model
@pytest.mark.lsp_clients(*sorted(RESOLVES))
@pytest.mark.lsp_settings({"server": {"warmup": True, "warmupDelayMs": 50}})
async def test_an_action_for_an_older_version_never_edits_the_new_text(session: Session) -> None:
    session.open()
    (generate_v1,) = await session.actions(BODY_LINE)
    best = (await session.warmed_actions(BODY_LINE))[0]
    session.edit(BODY_LINE + 3, "# the user keeps typing\n")
    # Resolving the candidate computed on version 1 fails; so does version 1's generate command.
    with pytest.raises(JsonRpcException) as raised:
        await session.client.code_action_resolve_async(best)
    assert raised.value.code == CONTENT_MODIFIED
    with pytest.raises(JsonRpcException) as raised:
        await session.command_request(generate_v1)
    assert raised.value.code == CONTENT_MODIFIED
    assert session.applied == []


async def test_resolve_returns_foreign_actions_unchanged(session: Session) -> None:
    session.open()
    (generate,) = await session.actions(BODY_LINE)
    resolved = await session.client.code_action_resolve_async(generate)
    assert resolved == generate
    foreign = types.CodeAction(title="someone else's", data={"x": 1})
    assert await session.client.code_action_resolve_async(foreign) == foreign


NO_EXAMPLES = '''def clip(n: int) -> int:
    """Return n, or zero when n is negative."""
    ...
'''


@pytest.mark.scripted_model
@pytest.mark.lsp_clients("lsp_3_18")
@pytest.mark.lsp_settings({"server": {"warmup": True, "warmupDelayMs": 50}})
async def test_without_examples_candidates_are_ranked_by_what_they_do_on_drawn_inputs(
    session: Session, scripted: ScriptedModel
) -> None:
    # The likeliest body is wrong; two less likely ones are right and behave alike on the
    # inputs drawn from `n: int` and on those the model proposed, so they come first.
    scripted.script(
        implementing("clip"),
        [
            body("return n", -0.1),
            body("return max(n, 0)", -0.6),
            body("return n if n > 0 else 0", -0.7),
        ],
    )
    scripted.script(proposing("clip"), [body("-3) == 0\nassert clip(7) == 7\nassert clip(x) == 1")])
    session.open(NO_EXAMPLES)
    (generate,) = await session.actions(2)
    actions = await session.warmed_actions(2)
    titles = [a.title for a in actions]
    agree = re.compile(r"^Implement: no examples · (\d)/3 agree on (\d+) inputs — ")
    found = [agree.match(title) for title in titles]
    assert all(found), titles
    assert [m.group(1) for m in found if m] == ["2", "2", "1"]
    data = [a.data["evidence"] for a in actions]
    assert [(e["agreement"], e["samples"]) for e in data] == [(2, 3), (2, 3), (1, 3)]
    assert titles[2].endswith("— return n")
    inputs = {int(m.group(2)) for m in found if m}
    assert len(inputs) == 1 and inputs.pop() > 2  # drawn ones, and clip(-3) and clip(7)
    assert [a.is_preferred for a in actions] == [True, None, None]
    # The warm-up's progress names the extra stages, and its bar never moves back.
    warmup, *_ = session.client.progress_reports.values()
    middle = [r for r in warmup if isinstance(r, types.WorkDoneProgressReport)]
    messages = [r.message for r in middle]
    assert "proposing inputs 1/1" in messages and "comparing on inputs 3/3" in messages, messages
    percentages = [r.percentage for r in middle]
    assert percentages == sorted(percentages), list(zip(messages, percentages, strict=True))
    # Generating again draws fresh samples but asks for the calls only once (they are greedy).
    summary = await session.command_request(generate)
    assert summary["title"].startswith("Implement: no examples · 2/3 agree")
    assert len([p for p in scripted.prompts if re.search(implementing("clip"), p, re.DOTALL)]) >= 2
    assert len([p for p in scripted.prompts if re.search(proposing("clip"), p, re.DOTALL)]) == 1
    # The log line says how they were compared, not "3 passing": nothing judged them.
    assert re.search(
        r"implement of clip@\d+ in \S+ v\d+: done in \d+\.\d s: 3 candidates, no examples "
        r"\(candidates were compared on \d+ inputs",
        session.log_text(),
    )


CIRCLES = '''from dataclasses import dataclass


def area(r: float) -> float:
    """Return the area of a circle of radius r.

    >>> area(1.0)
    3.141592653589793
    """
    ...
'''


@pytest.mark.scripted_model
@pytest.mark.lsp_clients("lsp_3_18", "neovim")
async def test_the_imports_a_body_needs_go_among_the_files_imports(
    session: Session, scripted: ScriptedModel
) -> None:
    # The sandbox runs the body with `import math` at its top (the file lacks it); the edit
    # puts that line after the file's imports, in the same edit as the body.
    scripted.script(implementing("area"), [body("return math.pi * r * r")])
    session.open(CIRCLES)
    line = CIRCLES.splitlines().index("    ...")
    (generate,) = await session.actions(line)
    summary = await session.command_request(generate)
    assert summary["applied"], summary
    (edit,) = session.applied
    assert [text_edit.new_text for _, text_edit in edits_of(edit)] == [
        "\n    return math.pi * r * r",
        "import math\n",
    ]
    assert session.text.startswith("from dataclasses import dataclass\nimport math\n\n\ndef area")
    assert "    return math.pi * r * r\n" in session.text and "    import math" not in session.text


@pytest.mark.lsp_clients("neovim")
async def test_sampling_progress_counts_the_samples_as_they_finish(session: Session) -> None:
    # The plumbing model in its own process: each sample that finishes moves the count, across
    # the socket to the model process, instead of a jump from 0 to the end.
    session.open()
    (generate,) = await session.actions(BODY_LINE)
    await session.command_request(generate)
    (reports,) = session.client.progress_reports.values()
    messages = [r.message or "" for r in reports if isinstance(r, types.WorkDoneProgressReport)]
    counts = [int(m.group(1)) for m in (re.fullmatch(r"sampling (\d)/3", x) for x in messages) if m]
    assert counts == sorted(counts) and counts[0] == 0 and counts[-1] == 3, messages
    assert {1, 2} <= set(counts), messages


def _second_wave_started(session: Session) -> bool:
    """Progress went from the first wave's examples back to sampling: wave two is drawing."""
    messages = [
        r.message or ""
        for reports in session.client.progress_reports.values()
        for r in reports
        if isinstance(r, types.WorkDoneProgressReport)
    ]
    ran = next((i for i, m in enumerate(messages) if m.startswith("running examples")), None)
    return ran is not None and any(m.startswith("sampling") for m in messages[ran:])


@pytest.mark.scripted_model
@pytest.mark.lsp_clients("neovim", "visual_studio_code")
@pytest.mark.lsp_settings({"sampling": {"n": 6, "firstWave": 3, "enoughPassing": 2}})
async def test_a_passing_first_wave_is_offered_while_the_rest_are_drawn(
    session: Session, scripted: ScriptedModel
) -> None:
    # The first wave (the three scripted bodies) has one passing sample, short of the two
    # that would end the draw: the rest is drawn, slowly, and meanwhile the passing one is
    # offered, marked as early, with an edit that resolves.
    scripted.delay_s = 3.0
    session.open()
    (generate,) = await session.actions(BODY_LINE)
    reply = session.command_request(generate)
    await until(lambda: _second_wave_started(session))
    actions = await session.actions(BODY_LINE)
    assert [a.title for a in actions] == [
        f"Implement: 2/2 examples pass — {ADD_PASSES}{EARLY_MARK}"
    ]
    (early,) = actions
    assert early.data["early"] is True and early.is_preferred
    assert not reply.done()  # offered before the draw ended
    resolved = await session.client.code_action_resolve_async(early)
    ((_, text_edit),) = edits_of(resolved.edit)
    assert text_edit.new_text.strip() == ADD_PASSES
    summary = await reply
    assert (summary["candidates"], summary["passing"]) == (3, 1)
    assert session.text.splitlines()[BODY_LINE] == f"    {ADD_PASSES}"
