"""Calls near the docstring's examples: literals only, typed like the seed, run in the sandbox."""

from __future__ import annotations

import ast

import pytest
from codegen_lsp import execution, inputs, variants
from codegen_lsp.context import FunctionContext, find_function
from codegen_lsp.draws import Draw, DrawnBody
from codegen_lsp.outcomes import GenerationResult
from codegen_lsp.sandbox.runner import Sandbox
from codegen_lsp.sandbox.types import CandidateRun, Example, ExampleResult
from codegen_lsp.settings import SandboxSettings, Settings
from support.probing import behaviours
from support.scripted_model import Reply, body, implement_scripted, implementing


def example(call: str, expected: str = "0", **extra: object) -> Example:
    return Example(call=call, expected=expected, line=1, **extra)  # type: ignore[arg-type]


COUNT = (
    'def count(xs: list[int], word: str) -> int:\n    """Count.\n\n'
    '    >>> count([1], "a")\n    1\n    """\n'
)


def drawn(
    examples: list[Example], passing: int = 1, bodies: int = 2
) -> tuple[Draw, list[CandidateRun]]:
    """Return a draw of ``bodies`` distinct bodies, the first ``passing`` passing every example."""
    draw = Draw(
        [DrawnBody(f"return {i}\n", []) for i in range(bodies)], list(range(bodies)), "chat"
    )
    runs = [
        CandidateRun([ExampleResult(e, "passed" if i < passing else "failed") for e in examples])
        for i in range(bodies)
    ]
    return draw, runs


def arguments(call: str) -> list[object]:
    node = ast.parse(call, mode="eval").body
    assert isinstance(node, ast.Call)
    return [ast.literal_eval(argument) for argument in node.args]


def test_each_argument_is_mutated_within_its_type_and_the_seed_is_not_repeated() -> None:
    calls = variants.example_variants("f", [example("f([3, 1, 2], 'ab', 4)")])
    assert "f([3, 1, 2], 'ab', 4)" not in calls and len(calls) == len(set(calls))
    seen = [arguments(call) for call in calls]
    for values in seen:
        changed = [
            i for i, (a, b) in enumerate(zip(values, [[3, 1, 2], "ab", 4], strict=True)) if a != b
        ]
        assert len(changed) == 1  # one argument at a time
        assert [type(v) for v in values] == [list, str, int]
    # The edges a docstring's examples usually leave open are there.
    assert [[], "ab", 4] in seen and [[3, 1, 2], "", 4] in seen and [[3, 1, 2], "ab", 0] in seen
    # Interleaved: the first few calls already touch every argument.
    assert {i for v in seen[:3] for i, x in enumerate(v) if x != [[3, 1, 2], "ab", 4][i]} == {
        0,
        1,
        2,
    }


def test_only_direct_literal_calls_of_the_function_seed_variants() -> None:
    assert variants.example_variants("f", [example("f(x)")]) == []  # a name, not a literal
    assert variants.example_variants("f", [example("g(1)")]) == []  # another function
    assert variants.example_variants("f", [example("f(1) + 1")]) == []
    assert variants.example_variants("f", [example("f(*xs)")]) == []
    assert variants.example_variants("f", [example("f(x)", setup=("x = g()",))]) == []
    assert variants.example_variants("f", [Example("f(1)", None, 0, kind="probe")]) == []
    found = variants.example_variants("f", [example("f(2, n=3)")])
    assert "f(2, n=0)" in found and "f(0, n=3)" in found


def test_the_limit_and_the_filter_are_kept() -> None:
    seeds = [example(f"f({n}, 'text', [1, 2, 3])") for n in range(5)]
    assert len(variants.example_variants("f", seeds, limit=7)) == 7
    no_empty = variants.example_variants("f", seeds, keep=lambda call: "[]" not in call)
    assert no_empty and all("[]" not in call for call in no_empty)


def test_values_without_a_safe_literal_form_make_no_variants() -> None:
    assert variants.mutations(None) == [] and variants.mutations({1, 2}) == []
    assert variants.mutations(True) == [False]
    big = variants.mutations(10**9)
    assert 2 * 10**9 not in big  # a loop up to n must still finish
    assert all(type(v) is float for v in variants.mutations(2.5))


def test_calls_the_type_hints_rule_out_are_not_kept() -> None:
    ctx = find_function(COUNT, 0)
    examples = execution.docstring_examples(ctx)
    calls = execution.variant_calls(ctx, examples, Settings(), *drawn(examples))
    assert calls and all(inputs.fits_signature(ctx, call) for call in calls)
    off = Settings()
    off.ranking.example_variants = False
    assert execution.variant_calls(ctx, examples, off, *drawn(examples)) == []


def test_nothing_is_asked_near_the_examples_when_nothing_can_be_told_apart() -> None:
    ctx = find_function(COUNT, 0)
    examples = execution.docstring_examples(ctx)
    settings = Settings()
    assert execution.variant_calls(ctx, examples, settings, *drawn(examples, passing=1))
    # No sample passes every example: the mark is not in question.
    assert execution.variant_calls(ctx, examples, settings, *drawn(examples, passing=0)) == []
    # One distinct body: there is nothing to compare it with.
    assert execution.variant_calls(ctx, examples, settings, *drawn(examples, bodies=1)) == []


def test_candidates_that_pass_the_examples_part_ways_on_the_variants() -> None:
    source = '''def largest(xs: list[int]) -> int:
    """Return the largest item, or 0 for an empty list.

    >>> largest([3, 9, 2])
    9
    """
'''
    ctx = find_function(source, 0)
    examples = execution.docstring_examples(ctx)
    calls = execution.variant_calls(ctx, examples, Settings(), *drawn(examples))
    bodies = {
        "right": "def largest(xs):\n    return max(xs, default=0)\n",
        "also right": "def largest(xs):\n    return max(xs) if xs else 0\n",
        "no empty": "def largest(xs):\n    return max(xs)\n",
    }
    with Sandbox(SandboxSettings(timeout_s=3.0, memory_mb=512)) as sandbox:
        passed = {n: sandbox.run(c, "largest", examples).passed for n, c in bodies.items()}
        found = {
            name: inputs.behaviour(
                sandbox.run(code, "largest", inputs.probe_examples(calls)).results, None
            )[0]
            for name, code in bodies.items()
        }
    assert passed == {"right": 1, "also right": 1, "no empty": 1}
    assert found["right"] == found["also right"]
    assert found["right"] != found["no empty"]  # the empty list tells them apart
    assert "!ValueError" in found["no empty"]


def test_a_body_that_compares_only_neighbours_parts_ways_near_the_examples() -> None:
    # The examples' close pair sits side by side, so a body that compares neighbours only
    # passes them; so do its reversed and sorted copies. Every other item first parts them.
    source = '''def any_close(xs: list[float], gap: float) -> bool:
    """Tell whether two of the numbers are closer than gap.

    >>> any_close([1.0, 2.0, 3.0], 0.5)
    False
    >>> any_close([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3)
    True
    """
'''
    ctx = find_function(source, 0)
    examples = execution.docstring_examples(ctx)
    calls = execution.variant_calls(ctx, examples, Settings(), *drawn(examples))
    assert "any_close([1.0, 3.0, 5.0, 2.8, 4.0, 2.0], 0.3)" in calls
    assert "any_close([1.0, 2.0, 3.0, 1.0], 0.5)" in calls  # a repeat away from its twin
    pairs = "    return any(abs(a - b) < gap for i, a in enumerate(xs) for b in xs[i + 1 :])\n"
    neighbours = "    return any(abs(a - b) < gap for a, b in zip(xs, xs[1:]))\n"
    found = behaviours(ctx, {"pairs": pairs, "neighbours": neighbours}, calls)
    assert found["pairs"] != found["neighbours"]


def test_a_top_no_other_sample_agrees_with_near_the_examples_says_why_it_is_not_verified() -> None:
    source = '''def largest(xs: list[int]) -> int:
    """Return the largest item, or 0 for an empty list.

    >>> largest([3, 9, 2])
    9
    """
'''
    replies = [body("return max(xs)", -0.1), body("return max(xs, default=0)", -0.2)]
    result, _ = implement_scripted(source, 0, [(implementing("largest"), replies)], n=2)
    # Both pass the example and part ways on largest([]): each stands alone there.
    assert all(c.run.passed == c.run.total == 1 and not c.verified for c in result.candidates)
    assert result.candidates[0].score_parts["near_samples"] == 1.0
    lone = (
        "only 1 sample of those that pass every example acts like the top candidate near them "
        "(ranking.verifiedNearSamples 2): not verified"
    )
    assert lone in result.notes, result.notes


def test_examples_that_build_the_projects_objects_seed_variants_that_run() -> None:
    source = '''from dataclasses import dataclass


@dataclass
class Item:
    sku: str
    cents: int


def cheapest(items: list[Item]) -> int:
    """Return the lowest price, or 0 for no items.

    >>> cheapest([Item("a", 300), Item("b", 120)])
    120
    """
'''
    ctx = find_function(
        source, source.splitlines().index("def cheapest(items: list[Item]) -> int:")
    )
    examples = execution.docstring_examples(ctx)
    calls = execution.variant_calls(ctx, examples, Settings(), *drawn(examples))
    assert "cheapest([])" in calls
    assert "cheapest([Item('a', 300), Item('b', 0)])" in calls  # one constructor field changed
    assert "cheapest([Item('b', 120), Item('a', 300)])" in calls  # the objects reordered
    # Not the project's class: a call of anything else seeds nothing.
    other = variants.example_variants("cheapest", [example("cheapest([open('x')])")])
    assert other == []
    bodies = {
        "right": "    return min((i.cents for i in items), default=0)\n",
        "no empty": "    return min(i.cents for i in items)\n",
    }
    found = {name: keys for name, (keys, _) in behaviours(ctx, bodies, calls).items()}
    assert all(key.startswith("=") for key in found["right"])  # every call built and ran
    assert found["right"] != found["no empty"]


def test_names_bound_to_data_in_earlier_lines_stand_for_their_data() -> None:
    items = frozenset({"Item"})
    one = example("f(item, 2)", setup=("item = Item('a', 3)",))
    calls = variants.example_variants("f", [one], constructors=items)
    assert "f(Item('a', 0), 2)" in calls and "f(Item('a', 3), 0)" in calls
    assert "f(Item('a', 3), 2)" not in calls  # the example itself, written out
    # Names live on from one example to the next, as in a doctest.
    later = variants.example_variants(
        "f", [example("f(1)", setup=("xs = [1, 2]",)), example("f(xs)")]
    )
    assert "f([2, 1])" in later
    # A name something else touched may hold other data now: it seeds nothing.
    appended = ("items = [Item('a', 3)]", "items.append(Item('b', 4))")
    changed = example("f(items)", setup=appended)
    assert variants.example_variants("f", [changed], constructors=items) == []
    # Bound and left alone, the same list does seed them.
    kept = example("f(items)", setup=appended[:1])
    assert "f([])" in variants.example_variants("f", [kept], constructors=items)
    mutated = [example("f(1)", setup=("xs = [1, 2]",)), example("xs.sort()"), example("f(xs)")]
    assert all("[" not in call for call in variants.example_variants("f", mutated))


BAG = '''class Bag:
    def __init__(self, items: list[int]) -> None:
        self.items = items

    def largest(self, floor: int) -> int:
        """Return the largest item, or the floor when there are none.

        >>> bag = Bag([3, 9, 2])
        >>> bag.largest(0)
        9
        """

    @staticmethod
    def widest(sizes: list[int]) -> int:
        """Return the largest size.

        >>> Bag.widest([3, 9])
        9
        """
'''


def judged_and_near(
    ctx: FunctionContext, bodies: dict[str, str], examples: list[Example], calls: list[str]
) -> tuple[list[tuple[int, int]], dict[str, tuple[str, ...]]]:
    """Run each body on the examples (passed, total) and on ``calls`` (its behaviour, by name)."""
    with Sandbox(SandboxSettings(timeout_s=5.0, memory_mb=512)) as sandbox:
        judged = execution.run_examples(ctx, list(bodies.values()), examples, sandbox)
        runs = execution.run_probes(ctx, list(bodies.values()), calls, sandbox)
    found = (inputs.behaviour(run.results, None)[0] for run in runs)
    return [(run.passed, run.total) for run in judged], dict(zip(bodies, found, strict=True))


def near_calls(source: str, header: str) -> tuple[FunctionContext, list[Example], list[str]]:
    """The function whose ``def`` line is ``header``, its examples and the calls near them."""
    ctx = find_function(source, source.splitlines().index(header))
    examples = execution.docstring_examples(ctx)
    return ctx, examples, execution.variant_calls(ctx, examples, Settings(), *drawn(examples))


def test_a_methods_examples_seed_calls_near_them_its_object_varied_too() -> None:
    ctx, examples, calls = near_calls(BAG, "    def largest(self, floor: int) -> int:")
    assert "Bag([]).largest(0)" in calls  # the object built with its list emptied
    assert "Bag([3, 9, 2]).largest(1)" in calls  # the method's own argument changed
    bodies = {
        "right": "        return max(self.items, default=floor)\n",
        "no empty": "        return max(self.items)\n",
    }
    judged, found = judged_and_near(ctx, bodies, examples, calls)
    assert judged == [(1, 1), (1, 1)]
    assert found["right"] != found["no empty"]  # the empty bag tells them apart
    # A static method's example seeds calls on its class.
    assert "Bag.widest([])" in near_calls(BAG, "    def widest(sizes: list[int]) -> int:")[2]


TALLY = '''class Tally:
    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.counts: dict[str, int] = {}

    def add(self, word: str, times: int = 1) -> None:
        self.counts[word] = self.counts.get(word, 0) + times

    def top(self) -> str:
        """Return the word added most often, or "" when none was.

        >>> tally = Tally("ann")
        >>> tally.add("a", 2)
        >>> tally.add("b")
        >>> tally.top()
        'a'
        """
'''


def test_an_object_its_examples_fill_through_its_methods_seeds_calls_near_them() -> None:
    # The usual doctest of a method: the object is built, then filled by its other methods.
    # Before, the filling calls touched the name and nothing was seeded.
    ctx = find_function(TALLY, TALLY.splitlines().index("    def top(self) -> str:"))
    examples = execution.docstring_examples(ctx)
    calls = execution.variant_calls(ctx, examples, Settings(), *drawn(examples))
    filled = "[(tally := Tally('ann')), tally.add('a', 2), tally.add('b'), tally][-1].top()"
    assert filled not in calls  # the example itself
    assert "[(tally := Tally('ann')), tally][-1].top()" in calls  # none of the calls
    assert "[(tally := Tally('ann')), tally.add('b'), tally][-1].top()" in calls  # one left out
    assert "[(tally := Tally('ann')), tally.add('a', 0), tally.add('b'), tally][-1].top()" in calls
    twice = "[(tally := Tally('ann')), tally.add('a', 2), tally.add('b'), tally.add('b'), tally]"
    assert twice + "[-1].top()" in calls  # the last one made twice
    bodies = {
        "right": "        return max(self.counts, key=self.counts.get, default='')\n",
        "no empty": "        return max(self.counts, key=self.counts.get)\n",
    }
    judged, found = judged_and_near(ctx, bodies, examples, calls)
    assert judged == [(3, 3), (3, 3)]  # the two add lines count too
    assert all(key.startswith("=") for key in found["right"]), found["right"]  # all ran
    assert found["right"] != found["no empty"]  # the tally with nothing added tells them apart
    # A call of something else on the object may change it in ways no recipe records.
    cleared = TALLY.replace('>>> tally.add("b")', ">>> tally.counts.clear()")
    ctx = find_function(cleared, cleared.splitlines().index("    def top(self) -> str:"))
    examples = execution.docstring_examples(ctx)
    assert execution.variant_calls(ctx, examples, Settings(), *drawn(examples)) == []


SHELF = '''class Shelf:
    def __init__(self, sizes: list[int]) -> None:
        self.sizes = sizes

    def put(self, size: int) -> None:
        self.sizes.append(size)

    @property
    def widest(self) -> int:
        """The widest size on the shelf, or 0 when it is bare.

        >>> Shelf([3, 9]).widest
        9
        """

    @property
    def count(self) -> int:
        """How many sizes are on the shelf.

        >>> shelf = Shelf([])
        >>> shelf.put(4)
        >>> shelf.count
        1
        """
'''


def test_a_propertys_examples_seed_reads_near_them() -> None:
    # A property is read, not called: its object is all there is to change.
    ctx, examples, calls = near_calls(SHELF, "    def widest(self) -> int:")
    assert "Shelf([]).widest" in calls and "Shelf([9, 3]).widest" in calls
    assert all(call.endswith(").widest") for call in calls)  # read, never called
    bodies = {
        "right": "        return max(self.sizes, default=0)\n",
        "no bare shelf": "        return max(self.sizes)\n",
    }
    judged, found = judged_and_near(ctx, bodies, examples, calls)
    assert judged == [(1, 1), (1, 1)]
    assert found["right"] != found["no bare shelf"]  # the bare shelf tells them apart
    # Filled through a method, as a doctest usually does it.
    ctx, examples, calls = near_calls(SHELF, "    def count(self) -> int:")
    assert "[(shelf := Shelf([])), shelf.put(4), shelf.put(4), shelf][-1].count" in calls
    bodies = {"right": "        return len(self.sizes)\n", "one": "        return 1\n"}
    judged, found = judged_and_near(ctx, bodies, examples, calls)
    assert judged == [(2, 2), (2, 2)]
    assert found["right"] != found["one"]


def test_a_method_whose_likeliest_body_goes_its_own_way_near_the_examples_is_not_on_top() -> None:
    # Three bodies pass the example; the likeliest fails on an empty bag, where the other two
    # agree. Before, a method was never run near its examples: the likeliest came first and
    # was marked verified.
    no_empty = "        return max(self.items)\n"
    right = "        return max(self.items, default=floor)\n"
    also_right = "        return max(self.items) if self.items else floor\n"
    line = BAG.splitlines().index("    def largest(self, floor: int) -> int:")
    replies = [Reply(code + "```", lp) for code, lp in [(no_empty, -0.1), (right, -0.3)]]
    replies.append(Reply(also_right + "```", -0.3))
    result, _ = implement_scripted(BAG, line, [(r"def largest\(self", replies)], n=3)
    assert all(c.run.passed == c.run.total == 1 for c in result.candidates)
    top = result.candidates[0]
    assert "default=floor" in top.body or "else floor" in top.body, top.body
    assert not any(
        c.verified for c in result.candidates if "default" not in c.body and "else" not in c.body
    )


FIB4 = '''def fib4(n: int) -> int:
    """Return the n-th element of fib4: 0, 0, 2, 0, then the sum of the last four.

    >>> fib4(5)
    4
    >>> fib4(6)
    8
    """
'''
LOOP = (
    "    values = [0, 0, 2, 0]\n"
    "    for _ in range(n - 3):\n"
    "        values.append(sum(values[-4:]))\n"
    "    return values[n] if n < 4 else values[-1]\n"
)
RECURSION = (
    "    if n < 4:\n"
    "        return [0, 0, 2, 0][n]\n"
    "    return fib4(n - 1) + fib4(n - 2) + fib4(n - 3) + fib4(n - 4)\n"
)


def test_a_body_that_recurses_without_memory_hangs_on_the_larger_call() -> None:
    # Both bodies pass every example; HumanEval+'s larger inputs fail the recursion. The
    # examples' calls with their small whole numbers larger tell them apart in a second.
    ctx = find_function(FIB4, 0)
    examples = execution.docstring_examples(ctx)
    calls = execution.variant_calls(ctx, examples, Settings(), *drawn(examples))
    assert calls[0] == "fib4(31)" and "fib4(30)" not in calls  # one, from the largest example
    bodies = {"loop": LOOP, "recursion": RECURSION}
    with Sandbox(SandboxSettings(timeout_s=5.0, memory_mb=512)) as sandbox:
        passed = {
            n: sandbox.run(ctx.module_with_body(b), "fib4", examples).passed
            for n, b in bodies.items()
        }
        runs = execution.run_probes(ctx, list(bodies.values()), calls, sandbox)
    found = dict(zip(bodies, (inputs.behaviour(run.results, None)[0] for run in runs), strict=True))
    assert passed == {"loop": 2, "recursion": 2}
    assert "t" not in found["loop"]
    assert found["recursion"][0] == "t"
    assert found["recursion"][1:] == found["loop"][1:]  # alike wherever both finished


def implement_fib4(
    replies: list[Reply],
    n: int,
    first_wave: int = 0,
    repaired: list[Reply] | None = None,
    slow_repair_samples: int = 0,
) -> GenerationResult:
    """Implement FIB4 with a scripted model whose every request answers ``replies``, in order.

    A repair prompt that calls the body too slow answers ``repaired`` (else ``replies``).
    """
    scripts = [(implementing("fib4"), replies)]
    if repaired is not None:
        too_slow = r"`fib4\(31\)` did not finish in 1 s: the body is too slow; compute it"
        scripts.append((too_slow, repaired))
    result, _ = implement_scripted(FIB4, 0, scripts, n, first_wave, slow_repair_samples)
    return result


ANOTHER_RECURSION = RECURSION.replace("if n < 4:", "if n <= 3:")
ANOTHER_LOOP = LOOP.replace("values", "seen")


@pytest.mark.parametrize(
    ("likeliest", "others", "verified"),
    [(RECURSION, [ANOTHER_RECURSION], False), (LOOP, [ANOTHER_LOOP, RECURSION], True)],
    ids=["recursions", "loop"],
)
def test_the_pipeline_never_verifies_a_top_that_hangs_near_the_examples(
    likeliest: str, others: list[str], verified: bool
) -> None:
    # Two loops, so that the mark's second sample acting alike near the examples is there.
    replies = [body(likeliest, -0.1), *(body(other, -0.4) for other in others)]
    result = implement_fib4(replies, n=len(replies))
    top = result.candidates[0]
    assert top.run.passed == top.run.total == 2
    assert " ".join(top.body.split()) == " ".join(likeliest.split())
    assert top.verified is verified
    hung = "the top candidate did not finish fib4(31) in 1 s: not verified"
    assert (hung in result.notes) is not verified, result.notes


@pytest.mark.parametrize("faster", [True, False], ids=["loop", "recursion again"])
def test_a_top_that_hangs_near_the_examples_is_repaired_once_for_speed(faster: bool) -> None:
    # Every sample recurses without memory (the default model on fib4, ten samples of ten);
    # told that fib4(31) did not finish, it writes the loop.
    again = body(LOOP if faster else ANOTHER_RECURSION, -0.2)
    result = implement_fib4(
        [body(RECURSION, -0.1), body(ANOTHER_RECURSION, -0.4)],
        n=2,
        repaired=[again],
        slow_repair_samples=2,
    )
    top = result.candidates[0]
    assert top.run.passed == top.run.total == 2
    if faster:
        assert " ".join(top.body.split()) == " ".join(LOOP.split())
        assert (
            result.notes[0] == "the likeliest body did not finish fib4(31) in time; repaired once"
        )
        assert len(result.candidates) == 3  # the loop, then the first round's two
    else:
        assert " ".join(top.body.split()) == " ".join(RECURSION.split())
        assert "asked once more for a faster body: none finished fib4(31) in time" in result.notes
        assert not top.verified


HALVINGS = '''def halvings(n: int) -> int:
    """Return how many times n must be halved, rounding down, to reach 1.

    >>> halvings(8)
    3
    """
'''


def test_a_top_that_never_ends_on_an_edge_near_the_examples_is_not_repaired_for_speed() -> None:
    # Both bodies finish halvings(33) (the larger call) at once and loop forever on
    # halvings(0): not a matter of speed, so the model is not asked for a faster body.
    loops = [
        "    count = 0\n    while n != 1:\n        n //= 2\n        count += 1\n    return count"
    ]
    loops.append(loops[0].replace("n //= 2", "n = n // 2"))
    replies = [body(loops[0], -0.1), body(loops[1], -0.4)]
    result, prompts = implement_scripted(
        HALVINGS, 0, [(implementing("halvings"), replies)], n=2, slow_repair_samples=2
    )
    assert "the top candidate did not finish halvings(0) in 1 s: not verified" in result.notes
    assert not any("too slow" in prompt for prompt in prompts)
    assert not any("faster body" in note for note in result.notes), result.notes


def test_among_equals_on_the_examples_a_body_that_finishes_near_them_comes_first() -> None:
    # Two recursions and a loop pass both examples and form one group; the recursions are
    # likelier, but the loop finishes the larger call and they do not.
    replies = [body(RECURSION, -0.1), body(LOOP, -0.6), body(ANOTHER_RECURSION, -0.1)]
    result = implement_fib4(replies, n=8, first_wave=3)
    assert any(note.startswith("stopped after 3 of 8") for note in result.notes), result.notes
    top = result.candidates[0]
    assert " ".join(top.body.split()) == " ".join(LOOP.split())
    assert top.run.passed == 2
    assert not any("did not finish" in note for note in result.notes)


ROLLING_MAX = '''def rolling_max(numbers: list[int]) -> list[int]:
    """Return the largest number seen so far at each position.

    >>> rolling_max([1, 3, 2, 4])
    [1, 3, 3, 4]
    """
'''


def test_a_top_that_breaks_on_an_empty_list_near_the_examples_is_not_verified() -> None:
    # HumanEval/9 on EvalPlus: every sample read numbers[0] first; all pass the example and act
    # alike near it (all raise on rolling_max([])), so the mark was given, and the stricter
    # hidden tests call rolling_max([]).
    seeded = [
        "    best = numbers[0]\n    out = []\n    for x in numbers:\n"
        "        best = max(best, x)\n        out.append(best)\n    return out",
        "    out = [numbers[0]]\n    for x in numbers[1:]:\n"
        "        out.append(max(out[-1], x))\n    return out",
    ]
    replies = [body(seeded[0], -0.1), body(seeded[1], -0.2)]
    result, _ = implement_scripted(ROLLING_MAX, 0, [(implementing("rolling_max"), replies)], n=2)
    top = result.candidates[0]
    assert top.run.passed == top.run.total == 1 and not top.verified
    assert top.score_parts["breaks_near"] == 1.0
    broke = "the top candidate raised on rolling_max([]): IndexError: list index out of range"
    assert f"{broke}: not verified" in result.notes, result.notes
    # Bodies that handle the empty list are verified as before.
    handled = [
        "    out = []\n    for x in numbers:\n        out.append(max(out[-1], x) if out else x)\n"
        "    return out",
        "    best = None\n    out = []\n    for x in numbers:\n"
        "        best = x if best is None else max(best, x)\n        out.append(best)\n"
        "    return out",
    ]
    replies = [body(handled[0], -0.1), body(handled[1], -0.2)]
    result, _ = implement_scripted(ROLLING_MAX, 0, [(implementing("rolling_max"), replies)], n=2)
    assert result.candidates[0].verified, result.notes
    assert not any("raised on" in note for note in result.notes)


def test_a_call_passing_an_empty_argument_is_told_from_others() -> None:
    assert variants.passes_empty("rolling_max([])")
    assert variants.passes_empty("f(1, word='')") and variants.passes_empty("shelf.put(())")
    assert variants.passes_empty("f({}, 2)") and variants.passes_empty("f([], '', n=0)")
    others = ("fib4(-5)", "f([0])", "f('a')", "f(x=[])[0]", "f(xs)", "f(", "f([] + [])")
    # Beside a non-empty one, the arguments may just not fit together (strings of one length).
    for other in (*others, "string_xor('', '010')", "f([], items=[1])"):
        assert not variants.passes_empty(other), other


def test_a_test_too_long_to_keep_whole_is_kept_with_fewer_filling_calls() -> None:
    # The model's test fills an order three times with lists of items: past
    # `variants.LITERAL_CHARS` as one expression. Before, the whole test was dropped and the
    # function was compared on drawn inputs alone (empty orders, where every candidate agrees).
    stock = ", ".join(f"Item('sku-{n}', {100 * n}, {n})" for n in range(1, 4))
    reply = "order = Order(customer='Alice')\n"
    reply += "".join(f"order.add({{'sku-{n}': {n}}}, [{stock}])\n" for n in range(1, 4))
    reply += "\nassert units_ordered(order, 'sku-1') == 1\n"
    reply += "assert units_ordered(order, 'sku-9') == 0\n"
    whole = "[(order := Order(customer='Alice'))" + "".join(
        f", order.add({{'sku-{n}': {n}}}, [{stock}])" for n in range(1, 4)
    )
    assert len(whole) > variants.LITERAL_CHARS
    calls = variants.session_calls(reply, "units_ordered", frozenset({"Order", "Item"}))
    kept = "[(order := Order(customer='Alice'))" + "".join(
        f", order.add({{'sku-{n}': {n}}}, [{stock}])" for n in range(1, 3)
    )
    assert calls == [
        f"units_ordered({kept}, order][-1], 'sku-1')",
        f"units_ordered({kept}, order][-1], 'sku-9')",
    ], calls
    assert all(len(call) <= variants.LITERAL_CHARS for call in calls)
    # A constructor that alone does not fit is not kept.
    huge = f"order = Order(customer='{'x' * variants.LITERAL_CHARS}')\n"
    short = "order = Order(customer='x')\n"
    for built, expected in ((huge, []), (short, ["units_ordered(Order(customer='x'), 'a')"])):
        test = built + "assert units_ordered(order, 'a') == 0\n"
        assert variants.session_calls(test, "units_ordered", frozenset({"Order"})) == expected


def test_an_example_that_reads_its_result_seeds_variants_of_its_call() -> None:
    # `best_segment([...]).name`: no variant was made, and a ride log's mark went to a body
    # that picks the longest segment, not the steepest.
    example = Example(
        call="best_segment([Seg('Mill Lane', 1.2, 4.5), Seg('Beacon', 2.0, 6.5)]).name",
        expected="'Beacon'",
        line=1,
    )
    calls = variants.example_variants("best_segment", [example], constructors=frozenset({"Seg"}))
    assert len(calls) >= 6 and all(call.startswith("best_segment([") for call in calls), calls
    assert "best_segment([Seg('Mill Lane', 1.2, 4.5), Seg('Beacon', 0.0, 6.5)])" in calls, calls
    indexed = Example(call="first_two([3, 1, 2])[0]", expected="3", line=1)
    assert variants.example_variants("first_two", [indexed])
    # A call of the function inside another call is not the example's own call.
    assert variants.example_variants("f", [Example(call="g(f(3)).x", expected="1", line=1)]) == []
