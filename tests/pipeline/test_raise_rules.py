"""When a docstring says its function raises, the drawn calls are told apart by that condition.

"Raise ValueError if pack_size is not positive": a body that raises ValueError on
``split_order(17, 5)`` has not done what the docstring asks, and one that returns on
``split_order(3, 0)`` has not either. Before, any raise of a documented exception counted as
the behaviour asked for, on every input.
"""

from __future__ import annotations

import textwrap

import pytest
from codegen_lsp.context import find_function
from codegen_lsp.raise_rules import raise_rules, rules_of
from codegen_lsp.ranking.candidate import broken_rule
from support.scripted_model import body, implement_scripted, implementing

SPLIT = '''def split_order(qty: int, pack_size: int) -> tuple[int, int]:
    """Return how many full packs a quantity makes and the units left over.

    Raise ValueError if pack_size is not positive.
    """
'''


PERIOD = "f(datetime.date(2024, 5, {}), date(2024, 5, {}))"
NUMPY_RAISES = """Do it.

    Raises
    ------
    ValueError
        If n is negative.
    KeyError
        If k is None.
"""
FIRST_RULE = "If *k* is not provided and there are no items in the\n    n, raise ``ValueError``."


@pytest.mark.parametrize(
    ("docstring", "call", "told"),
    [
        ("Raise ValueError if n is not positive.", "f(5)", {"ValueError": False}),
        ("Raise ValueError if n is not positive.", "f(0)", {"ValueError": True}),
        ("Raises a `ValueError` when n is negative.", "f(n=-1)", {"ValueError": True}),
        ("Raises:\n    ValueError: If n < 2.\n", "f(2)", {"ValueError": False}),
        ("Raise ValueError if n is less than 2 or k is None.", "f(5, None)", {"ValueError": True}),
        ("Raise ValueError if n is less than 2 or k is None.", "f(5, 1)", {"ValueError": False}),
        ("Raise ValueError if text is empty.", "f(3, 'a', text='')", {"ValueError": True}),
        ("Raise ValueError if n is negative.", "f(x)", {}),  # not a literal: not known
        ("Raise ValueError if n is negative.", "g(-1)", {}),  # another function
        ("Raise ValueError if n is negative.", "f('a')", {}),  # the test cannot tell
        ("Raise ValueError if n < 0.5.", "f(0.25)", {"ValueError": True}),  # a decimal point
        ("Raise ValueError if n < 0.5.", "f(1)", {"ValueError": False}),
        # Names marked up, conditions wrapped, the condition first, the passive, Sphinx.
        ("Raises ValueError if ``n`` is\n    zero or negative.", "f(0)", {"ValueError": True}),
        ("Raise ``ValueError`` if *n* is negative.", "f(3)", {"ValueError": False}),
        ("If *n* is negative, raise ``ValueError``.", "f(-2)", {"ValueError": True}),
        ("If n is negative, a ValueError is raised.", "f(-2)", {"ValueError": True}),
        ("A ValueError is raised when n < 0.", "f(1)", {"ValueError": False}),
        (":raises ValueError: if n is negative", "f(-1)", {"ValueError": True}),
        # Both must hold; a parameter left out; no items in one.
        ("Raise ValueError if n is negative and k is None.", "f(-1, None)", {"ValueError": True}),
        ("Raise ValueError if n is negative and k is None.", "f(-1, 2)", {"ValueError": False}),
        ("Raise ValueError if n is negative and k is None.", "f(-1, x)", {}),
        (FIRST_RULE, "f([])", {"ValueError": True}),
        (FIRST_RULE, "f([], 0)", {"ValueError": False}),
        (FIRST_RULE, "f([], k=x)", {"ValueError": False}),  # passed, though not a literal
        (FIRST_RULE, "f([1])", {"ValueError": False}),
        (FIRST_RULE, "f(*args)", {}),  # what it leaves out is not known
        ("Raise ValueError if no k is given.", "f(2)", {"ValueError": True}),
        # "Raises" sections: Google's entry wrapped, NumPy's text under its exception.
        ("Raises:\n    ValueError: If n is\n        negative.\n", "f(-1)", {"ValueError": True}),
        (NUMPY_RAISES, "f(1, None)", {"KeyError": True, "ValueError": False}),
        # Two parameters compared, dates built as drawn calls build them.
        ("If n > k, raise ValueError.", "f(3, 1)", {"ValueError": True}),
        ("If n > k, raise ValueError.", "f(1, 3)", {"ValueError": False}),
        ("Raise ValueError if ``k`` is before ``n``.", PERIOD.format(3, 1), {"ValueError": True}),
        ("Raise ValueError if ``k`` is before ``n``.", PERIOD.format(1, 3), {"ValueError": False}),
        ("Raise ValueError if k is before n.", "f(datetime.date(2024, 5, 1), k)", {}),
        ("Raise ValueError if k is before n.", "f(day(2024, 5, 1), day(2024, 5, 2))", {}),
    ],
)
def test_a_documented_condition_is_told_on_a_call(
    docstring: str, call: str, told: dict[str, bool]
) -> None:
    rules = raise_rules(docstring, "f", ("n", "k"), ("text",))
    assert rules is not None
    assert rules.expectations(call) == told


@pytest.mark.parametrize(
    "docstring",
    [
        "Raise ValueError if n is negative and k is odd.",  # a part unread: none read
        "Raise ValueError if n is negative and k is 0 or n is 1.",  # "and" with "or"
        "Raise ValueError if n is negative (mostly).",  # not all of the condition read
        # Read two ways ("if n is negative, raise TypeError"), so TypeError is not read.
        "Raise TypeError if n is negative, raise TypeError if k is None.",
        "Raise ValueError if the list holds a duplicate.",  # no parameter named
        "Raise ValueError if n is negative; raise ValueError for junk too.",  # a rule unread
        "Return n.",
        "Return n.\n\nNote: if n is negative, it counts down.",  # no exception named
        # A clause after the raise adds a condition: read without it, a right body that
        # returns on f(-1, False) or f(1, 0) would break the rule.
        "If n is negative, raise ValueError unless k is False.",
        "Raise ValueError if n is negative, or if k is 0.",
        "If n is negative, ValueError will be raised before the last\nchunk if k is odd.",
        "Raises:\n    ValueError: If n is negative, but only when k is set.\n",
    ],
)
def test_a_condition_not_read_gives_no_rule(docstring: str) -> None:
    assert raise_rules(docstring, "f", ("n", "k")) is None


METHODS = '''class C:
    def f(self, n: int, *, k: int = 0) -> int:
        """Raise ValueError if n < 0."""

    @classmethod
    def g(cls, n: int) -> int:
        """Raise ValueError if n < 0."""

    @property
    def p(self) -> int:
        """Raise ValueError if n < 0."""
'''


def test_a_methods_rules_are_told_on_calls_on_an_object_or_its_class() -> None:
    method = rules_of(find_function(METHODS, 1))
    assert method is not None
    assert method.expectations("C(x=1).f(-1)") == {"ValueError": True}  # self is the object
    assert method.expectations("(lambda o: o)(C()).f(2, k=3)") == {"ValueError": False}
    assert method.expectations("f(-1)") == {}  # a function of that name is another callee
    classmethod = rules_of(find_function(METHODS, 5))
    assert classmethod is not None and classmethod.expectations("C.g(-1)") == {"ValueError": True}
    assert rules_of(find_function(METHODS, 9)) is None  # a property takes nothing to tell
    function = rules_of(find_function(SPLIT, 0))
    assert function is not None and function.expectations("o.split_order(3, 0)") == {}


ACCOUNT = '''class Account:
    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.balance = 0

    def deposit(self, amount: int) -> int:
        """Add ``amount`` to the balance and return the new balance.

        Raise ValueError if amount is negative.
        """
'''


def test_a_method_that_returns_where_its_docstring_says_it_raises_is_not_first() -> None:
    # A user's account method: both bodies agree on every amount but the negative ones.
    ignoring = "self.balance += amount\nreturn self.balance"
    right = (
        "if amount < 0:\n    raise ValueError(amount)\nself.balance += amount\nreturn self.balance"
    )
    in_class = [textwrap.indent(code, "    ") for code in (ignoring, right)]  # a method's
    scripts = [(implementing("deposit"), [body(in_class[0], -0.1), body(in_class[1], -0.9)])]
    result, _ = implement_scripted(ACCOUNT, 5, scripts, n=2)
    assert "raise ValueError" in result.candidates[0].body, [
        c.score_parts for c in result.candidates
    ]


def test_a_raise_outside_the_documented_condition_is_a_crash() -> None:
    # A user's billing `split_evenly` was titled "raises as documented on 15" for a body that
    # refused splits the docstring allows.
    refusing = (
        "if pack_size <= 0 or qty < pack_size:\n    raise ValueError(pack_size)\n"
        "return divmod(qty, pack_size)"
    )
    right = "if pack_size <= 0:\n    raise ValueError(pack_size)\nreturn divmod(qty, pack_size)"
    scripts = [(implementing("split_order"), [body(refusing, -0.1), body(right, -0.9)])]
    result, _ = implement_scripted(SPLIT, 0, scripts, n=2)
    top, other = result.candidates
    assert "qty < pack_size" not in top.body, [c.score_parts for c in result.candidates]
    assert other.score_parts["crashes"] > 0, other.score_parts
    assert top.score_parts["crashes"] == 0, top.score_parts


def test_a_body_that_returns_where_it_must_raise_has_left_the_rule_out() -> None:
    ignoring = "return divmod(qty, pack_size) if pack_size else (0, qty)"
    right = "if pack_size <= 0:\n    raise ValueError(pack_size)\nreturn divmod(qty, pack_size)"
    scripts = [(implementing("split_order"), [body(ignoring, -0.1), body(right, -0.9)])]
    result, _ = implement_scripted(SPLIT, 0, scripts, n=2)
    assert "raise ValueError" in result.candidates[0].body, [
        c.score_parts for c in result.candidates
    ]


FIRST = '''_marker = object()


def first(iterable, default=_marker):
    """Return the first item of *iterable*, or *default* if *iterable* is empty.

    >>> first([0, 1, 2, 3])
    0
    >>> first([], 'some default')
    'some default'

    If *default* is not provided and there are no items in the iterable,
    raise ``ValueError``.
    """
'''


def test_near_the_examples_a_body_that_returns_where_it_must_raise_is_not_first() -> None:
    # more-itertools' own tests call `first([])`; the docstring hints at the wrong body.
    sentinel = "return next(iter(iterable), default)"
    right = (
        "for item in iterable:\n    return item\nif default is _marker:\n"
        "    raise ValueError('empty')\nreturn default"
    )
    scripts = [(implementing("first"), [body(sentinel, -0.1), body(right, -0.9)])]
    result, _ = implement_scripted(FIRST, 3, scripts, n=2)
    top, other = result.candidates
    assert "raise ValueError" in top.body, [c.score_parts for c in result.candidates]
    assert other.score_parts.get("breaks_rule_near") == 1.0
    assert not other.verified and "breaks_rule_near" not in top.score_parts


def test_bodies_that_agree_near_the_examples_but_break_the_rule_are_not_verified() -> None:
    returning = "return next(iter(iterable), default)"
    looping = "for item in iterable:\n    return item\nreturn default"
    scripts = [(implementing("first"), [body(returning, -0.1), body(looping, -0.2)])]
    result, _ = implement_scripted(FIRST, 3, scripts, n=2)
    assert all(c.run.passed == c.run.total == 2 for c in result.candidates)
    assert all(c.score_parts.get("breaks_rule_near") == 1.0 for c in result.candidates)
    assert not any(c.verified for c in result.candidates)


def test_among_equals_the_body_that_follows_the_raise_conditions_near_them_comes_first() -> None:
    # Both raise the documented ValueError near the examples, so that alone tells them not
    # apart: the likelier raises it on `first([], '')`, where a default is given.
    blank = (
        "if default == '':\n    raise ValueError('blank default')\n"
        "return next(iter(iterable), default)"
    )
    right = (
        "for item in iterable:\n    return item\nif default is _marker:\n"
        "    raise ValueError('empty')\nreturn default"
    )
    scripts = [(implementing("first"), [body(blank, -0.1), body(right, -0.9)])]
    result, _ = implement_scripted(FIRST, 3, scripts, n=2)
    top, other = result.candidates
    assert "raise ValueError('empty')" in top.body, [c.score_parts for c in result.candidates]
    assert top.score_parts["score"] == other.score_parts["score"]


@pytest.mark.parametrize("follows", [True, False], ids=["raises", "returns again"])
def test_a_top_that_breaks_a_raise_condition_near_the_examples_is_repaired_once(
    follows: bool,
) -> None:
    # Every sample copies the docstring's `next(iter(iterable), default)`; told that
    # `first([])` returned where the docstring says it raises, the repair writes the raise.
    returning = body("return next(iter(iterable), default)", -0.1)
    right = (
        "for item in iterable:\n    return item\nif default is _marker:\n"
        "    raise ValueError('empty')\nreturn default"
    )
    again = body(right if follows else "return next(iter(list(iterable)), default)", -0.2)
    told = (
        r"`first\(\[\]\)` returned <object object at 0x[0-9a-f]+>, where it must raise ValueError"
        r" \(the docstring: \"If \*default\* is not provided"
    )
    scripts = [(implementing("first"), [returning]), (told, [again])]
    result, _ = implement_scripted(FIRST, 3, scripts, n=2)
    top = result.candidates[0]
    assert top.run.passed == top.run.total == 2
    if follows:
        assert "raise ValueError" in top.body
        assert result.notes[0].startswith(
            "the top body broke its docstring's raise condition; repaired once on `first([])`"
        ), result.notes
    else:
        assert top.body.strip() == "return next(iter(iterable), default)"
        assert any("found no body that follows it" in note for note in result.notes)
        assert any(
            "where it must raise ValueError" in note and note.endswith(": not verified")
            for note in result.notes
        )
        assert not top.verified


@pytest.mark.parametrize(
    ("key", "told", "broken"),
    [
        ("=1f2e", {"ValueError": True}, ("ValueError", True)),  # returned where it must raise
        ("!ValueError", {"ValueError": False}, ("ValueError", False)),  # raised where it must not
        ("!ValueError", {"ValueError": True}, None),
        ("!KeyError", {"ValueError": False}, None),  # another exception: no rule of it
        ("t", {"ValueError": True}, None),  # did not finish: nothing to tell
        ("=1f2e", {}, None),
    ],
)
def test_a_behaviour_breaks_a_rule_only_where_it_does_the_other(
    key: str, told: dict[str, bool], broken: tuple[str, bool] | None
) -> None:
    assert broken_rule(key, told) == broken


ACCOUNT_WITH_EXAMPLE = ACCOUNT.replace(
    "        Raise ValueError if amount is negative.\n",
    "        >>> Account('a').deposit(5)\n        5\n\n"
    "        Raise ValueError if amount is negative.\n",
)


def test_near_a_methods_examples_a_broken_rule_is_told_on_the_call_as_written() -> None:
    # A method's calls near its examples run wrapped, to watch the object: the rule is told,
    # and the note quotes, the call as drawn, not the wrapper.
    ignoring = textwrap.indent("self.balance += amount\nreturn self.balance", "    ")
    scripts = [(implementing("deposit"), [body(ignoring, -0.1)])]
    result, _ = implement_scripted(ACCOUNT_WITH_EXAMPLE, 5, scripts, n=1)
    top = result.candidates[0]
    assert top.run.passed == 1 and not top.verified
    told = [note for note in result.notes if "where it must raise ValueError" in note]
    assert told and told[0].startswith("`Account('a').deposit(-"), result.notes
