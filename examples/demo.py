"""A few functions with a signature and a docstring, waiting for bodies.

Run ``codegen-lsp complete examples/demo.py --n 8`` (or ``make demo``): every function below that
has a docstring and no body gets ranked candidates, with the examples each one passes.
"""

from __future__ import annotations


def is_palindrome(text: str) -> bool:
    """Return True when ``text`` reads the same backwards, ignoring case and spaces.

    >>> is_palindrome("Never odd or even")
    True
    >>> is_palindrome("codegen")
    False
    """


def running_total(numbers: list[int]) -> list[int]:
    """Return the running totals of ``numbers``.

    >>> running_total([1, 2, 3, 4])
    [1, 3, 6, 10]
    >>> running_total([])
    []
    """


def vowel_count(word: str) -> int:
    """Count the vowels (a, e, i, o, u, either case) in ``word``.

    vowel_count("Banana") == 3
    vowel_count("rhythm") == 0
    """
