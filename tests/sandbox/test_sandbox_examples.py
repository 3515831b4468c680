"""Example extraction: doctests and the prose forms real docstrings use."""

from __future__ import annotations

import pytest
from codegen_lsp.sandbox.examples import extract_examples, literal_pairs


def calls_and_expected(docstring: str, name: str = "f") -> list[tuple[str, str | None]]:
    return [(e.call, e.expected) for e in extract_examples(docstring, name)]


def test_doctest_with_value_continuation_and_setup() -> None:
    doc = """Sum.

    >>> xs = [1,
    ...       2]
    >>> f(xs)
    3
    >>> f([
    ...     4, 5])
    9
    """
    examples = extract_examples(doc, "f")
    assert [(e.call, e.expected) for e in examples] == [("f(xs)", "3"), ("f([\n    4, 5])", "9")]
    assert examples[0].setup == ("xs = [1,\n      2]",)
    assert examples[0].line == 5
    assert examples[1].setup == ()
    assert all(e.kind == "doctest" for e in examples)


def test_doctest_expected_exception_and_options() -> None:
    doc = """
    >>> f(-1)
    Traceback (most recent call last):
      ...
    ValueError: negative
    >>> print(f(3))  # doctest: +NORMALIZE_WHITESPACE
    a   b
    >>> f(4)  # doctest: +SKIP
    1
    """
    first, second = extract_examples(doc, "f")
    assert first.expected_exception == "ValueError"
    assert first.expected is None
    assert second.expected is None
    assert second.expected_output == "a   b\n"
    assert second.options == ("NORMALIZE_WHITESPACE",)


def test_doctest_comparison_without_output_is_an_assertion() -> None:
    doc = """
    >>> f([1, 2]) == [2, 1]
    """
    assert calls_and_expected(doc) == [("f([1, 2])", "[2, 1]")]


def test_malformed_doctest_block_does_not_lose_the_others() -> None:
    doc = '>>> f("a\nb")\n    1\n    >>> f("c")\n    2\n'
    assert calls_and_expected(doc) == [('f("c")', "2")]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("f(1, [2, 3]) == 4", "4"),
        ("f(1, [2, 3]) ➞ 4", "4"),
        ("f(1, [2, 3]) -> 4", "4"),
        ("f(1, [2, 3]) => 4", "4"),
        ("f(1, [2, 3]) ==> 4", "4"),
        ("f(1, [2, 3]) = 4", "4"),
        ("f(1, [2, 3]) should return 4.", "4"),
        ("For example: f(1, [2, 3]) returns 4", "4"),
        ("f(1, [2, 3])   # returns 4", "4"),
        ("f(1, [2, 3]) # => 4 (because)", "4"),
        ("* f(1, [2, 3]) -> 4 # a comment", "4"),
        ("assert f(1, [2, 3]) == 4", "4"),
        ("for f(1, [2, 3]) == 4", "4"),
        ("f(1, [2, 3]) == 1 + 3 = 4", "4"),
        ("f(1, [2, 3]) => true", "True"),
    ],
)
def test_prose_forms(line: str, expected: str) -> None:
    doc = f"Does things.\n\n    Examples:\n    {line}\n    "
    examples = extract_examples(doc, "f")
    assert [(e.call, e.expected, e.kind, e.line) for e in examples] == [
        ("f(1, [2, 3])", expected, "prose", 4)
    ]


def test_balanced_boundaries_with_brackets_and_strings_in_arguments() -> None:
    doc = """
    f("a) ==> b", {'k': (1, 2)}) == ("x", [1, ")"])
    f([
      [1, 2],
      [3, 4]
    ], 1) == [(0, 0)]
    """
    assert calls_and_expected(doc) == [
        ("f(\"a) ==> b\", {'k': (1, 2)})", '("x", [1, ")"])'),
        ("f([\n      [1, 2],\n      [3, 4]\n    ], 1)", "[(0, 0)]"),
    ]


def test_input_output_blocks() -> None:
    doc = """
    Example 1:
        Input: arr = [1, 2], k = 3
        Output: [2, 1]
    Example 2:
        Input: 5
        Output: 7 # because
    Example 3:
        Input:
            grid : [[0, 1]]
            capacity : 2
        Output: 1
    """
    assert calls_and_expected(doc) == [
        ("f(arr = [1, 2], k = 3)", "[2, 1]"),
        ("f(5)", "7"),
        ("f([[0, 1]], 2)", "1"),
    ]


def test_for_the_output_should_be() -> None:
    doc = """
    For lst = [1,2,3] the output should be 6
    For s = "abcde", c = "ae", the result should be ('bcd',False)
    For N = 150, the sum of digits will be 6 the output should be "110".
    """
    assert calls_and_expected(doc) == [
        ("f(lst = [1,2,3])", "6"),
        ('f(s = "abcde", c = "ae")', "('bcd',False)"),
        ("f(N = 150)", '"110"'),
    ]


def test_descriptions_are_not_examples() -> None:
    doc = """
    f(n) = f(n - 1) + f(n - 2), if n is odd.
    f(1) = 3
    g(2) == 4
    obj.f(2) == 4
    f(word) => False
    f(2) is the second value.
    f("x") == ""y"
    """
    assert calls_and_expected(doc) == []


def test_equations_dropped_only_when_the_docstring_defines_by_equation() -> None:
    assert calls_and_expected("f(2) = 4\n") == [("f(2)", "4")]
    assert calls_and_expected("f(n) = 2 * n\nf(2) = 4\nf(3) == 6\n") == [("f(3)", "6")]


def test_doctest_lines_are_not_read_twice_as_prose() -> None:
    doc = """
    >>> f(2) == 4
    True
    """
    examples = extract_examples(doc, "f")
    assert [(e.call, e.expected, e.kind) for e in examples] == [("f(2) == 4", "True", "doctest")]


def test_empty_inputs() -> None:
    assert extract_examples("", "f") == []
    assert extract_examples("No examples here.", "f") == []


@pytest.mark.parametrize(
    ("line", "pairs"),
    [
        ('Format a price in cents, e.g. 1234567 as "€12,345.67".', [("1234567", '"€12,345.67"')]),
        (
            '"hello world" -> "Hello World"; 90 becomes \'1m30s\'',
            [('"hello world"', '"Hello World"'), ("90", "'1m30s'")],
        ),
        ('Read "3 pcs" as 3, and "x" gives None.', [('"3 pcs"', "3"), ('"x"', "None")]),
        ("Count from 0 to 10.", []),  # "to" pairs nothing
        ("Treat 0 as None.", []),  # no string on either side: how 0 is read, no result
        ('Version 1.2.3 as "x".', []),  # no literal
    ],
)
def test_a_value_and_its_result_in_prose_are_paired(
    line: str, pairs: list[tuple[str, str]]
) -> None:
    assert [(given, expected) for given, expected, _ in literal_pairs(line)] == pairs


def test_doctest_lines_pair_nothing() -> None:
    assert literal_pairs('>>> f("a") -> "b"\n\'x\'\n') == []
