"""What every ranking signal reads about a candidate: plain data, no engine or sandbox types.

The pipeline (and the evaluation harness) fills one :class:`Candidate` per distinct body from the
sample's log-probabilities and the sandbox's run on the docstring's examples.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

BROKEN_CODE = frozenset(
    f"!{name}" for name in ("NameError", "UnboundLocalError", "AttributeError", "ImportError")
)
"""Behaviour keys of errors that an input of the hinted types does not excuse: the code names
something that does not exist. (A ``ModuleNotFoundError`` is an ``ImportError`` but keyed by
its own name: a module missing from the environment, not a typo, so it is not here.)"""
OPERAND_MISUSE = "!TypeError:operand"
"""The behaviour key of ``TypeError: unsupported operand type(s)``: ``line.unit_price * 2``
where ``Money`` has no ``*``. Broken code where the inputs follow the type hints (then the
operands are what the hints say); without hints it may be the input's fault, a plain crash."""
FROZEN_WRITE = "!FrozenInstanceError"
"""The behaviour key of a field written on a frozen dataclass (``item.qty += delta`` where
``Item`` is frozen): where the inputs follow the hints, the object is the hint's class and its
fields can never be written, so the code is wrong, not the input."""
OBJECT_MISUSE = "!TypeError:object"
"""The behaviour key of ``TypeError: 'Room' object is not iterable`` (or subscriptable, or
callable) for a class's object (a capitalised type name but ``NoneType``, or a qualified one
such as ``'datetime.date'``): a ledger's body looped over the ``Room`` it looked up. Where the
inputs follow the hints, such objects are built as the hints say, so the code is wrong; a
builtin's (``'int' object is not subscriptable``) keeps the plain key, since a bare ``list``'s
drawn items may be anything. A class called with what its constructor does not take is keyed
so too (``Entry.__new__() missing 1 required positional argument``; ``Payment(a, b, c)`` for a
``TypedDict``: ``dict expected at most 1 argument, got 3``): a tally's ``settle`` built its
payments so on 13 of 19 inputs; and so is an object of a class without a hash used as a key
(``unhashable type: 'Member'``)."""
HINTED_BROKEN_CODE = BROKEN_CODE | {OPERAND_MISUSE, FROZEN_WRITE, OBJECT_MISUSE}
"""Behaviour keys that say the code is broken where the inputs follow type hints."""
RAISING_WORDS = re.compile(r"\b(raise[sd]?|raising|error|exception|throws?|invalid)\b", re.I)
"""Words by which a docstring says that some input is refused: raising near the examples is
then behaviour the description asks for, not an edge case left unhandled."""
REFUSALS = frozenset({"!ValueError"})
"""Behaviour keys of the way Python refuses a value outside a function's domain."""
TIMED_OUT = "t"
"""The behaviour key of a call that did not finish in its time."""
UNCOMPARABLE = "u"
"""The behaviour key of a call that returned what could not be compared."""
UNCOMPARED = frozenset({TIMED_OUT, UNCOMPARABLE})
"""Behaviour keys that agree with nothing: a timeout, a value that could not be compared."""


def broken_rule(key: str, told: Mapping[str, bool]) -> tuple[str, bool] | None:
    """Return the exception whose raise condition a call's behaviour ``key`` did not follow.

    ``told``: per exception, whether the docstring's conditions say the call must raise it
    (:meth:`codegen_lsp.raise_rules.RaiseRules.expectations`). With it, whether it must
    raise; None when the behaviour followed every condition, or cannot be compared.
    """
    if key in UNCOMPARED:
        return None
    for exception, must in sorted(told.items()):
        if must != (key.split(":", 1)[0] == f"!{exception}"):
            return exception, must
    return None


def unhandled(key: str) -> bool:
    """Tell a key of an error that is no refusal (``!IndexError``, not ``!ValueError``)."""
    return key.startswith("!") and key not in REFUSALS


RAISE_VERB = r"\b(?i:raise[sd]?|raising|throws?)\s+(?:an?\s+|the\s+)?`*([A-Z][A-Za-z0-9_]*)`*"
"""A verb of raising and the exception it names: "raise ValueError", "raises a `KeyError`"."""
RAISED_PASSIVE = (
    r"\b(?:an?\s+)?`*([A-Z]\w*(?:Error|Exception|Exit|Interrupt|Iteration|Warning))`*"
    r"\s+(?i:is|are|will\s+be|gets?)\s+(?i:raised|thrown)"
)
"""The passive voice and the exception it names: "a ValueError is raised", "KeyError will be
raised" (a name that reads as an exception's only: "It is raised" names none)."""
_RAISE_PHRASE = re.compile(
    rf"{RAISE_VERB}|:raises?\s+`*([A-Z][A-Za-z0-9_]*)`*\s*:|{RAISED_PASSIVE}"
)
""""raise ValueError when ...", "raises a `KeyError`", Sphinx's ":raises KeyError:", "a
ValueError is raised"."""
RAISES_SECTION = re.compile(
    r"^([ \t]*)Raises[ \t]*:?[ \t]*\n(?:[ \t]*-+[ \t]*\n)?((?:\1[ \t]*\S.*\n?)+)", re.M
)
"""Google's and NumPy's "Raises" section: a heading, then its lines up to a blank one."""
_SECTION_ENTRY = re.compile(r"^[ \t]*`*([A-Z][A-Za-z0-9_]*)`*[ \t]*(?::|$)", re.M)
_EMPTINESS = re.compile(
    r"\b(empty|nothing|none given|no (?:items?|elements?|values?|entries|lines|numbers))\b", re.I
)
"""Words by which a docstring speaks of an empty input, so a raise on one may be the rule."""


def documented_raises(description: str) -> frozenset[str]:
    """Return the exception classes a docstring says the function raises.

    From a phrase ("raise ValueError when currencies mix"), Sphinx's ``:raises KeyError:``, or
    an entry of a "Raises" section (Google's ``ValueError: if ...``, NumPy's ``ValueError``).
    """
    names = {name for found in _RAISE_PHRASE.findall(description) for name in found if name}
    for section in RAISES_SECTION.finditer(description):
        names.update(_SECTION_ENTRY.findall(section.group(2)))
    return frozenset(names)


@functools.lru_cache(maxsize=256)
def documented_keys(description: str) -> frozenset[str]:
    """Return the behaviour keys of the exceptions the docstring says are raised (``!KeyError``).

    Cached: every candidate of a request reads the same docstring, several times in a ranking.
    """
    return frozenset(f"!{name}" for name in documented_raises(description))


@dataclass
class Candidate:
    """One distinct candidate body and the evidence gathered about it."""

    code: str
    """The body (or the function) as the ranking and the verifier read it."""
    logprobs: list[float] = field(default_factory=list)
    """Per-token log-probabilities of the sample; empty when unknown (pre-drawn samples)."""
    examples_passed: int = 0
    examples_total: int = 0
    examples_skipped: int = 0
    """How many of those examples doctest skips (``+SKIP``): they rank, they never verify."""
    errored: bool = False
    """The candidate crashed, timed out or raised where no exception was expected."""
    signature: str | None = None
    """Execution signature on the examples; None when erroring (errors never group)."""
    record: str = ""
    """LEVER-style execution record (one line per example)."""
    duplicates: int = 1
    """How many samples produced exactly this code."""
    description: str = ""
    """The docstring the candidate implements (the verifier and the reviewer read it)."""
    behaviour: tuple[str, ...] = ()
    """What the candidate did on each input drawn for a function without examples, one key
    per input (``=digest`` returned, ``!Type`` raised, ``t`` timed out, ``u`` returned what could
    not be compared); empty when none ran."""
    wrong_type_share: float = 0.0
    """Share of those inputs on which it returned a type its return annotation rules out."""
    accepted: int = 0
    """The first this many of the inputs are ones the docstring presents as taken (strings it
    quotes in prose that speaks of no error): a raise there is a crash, even of an exception
    the docstring documents for other inputs."""
    raise_told: tuple[Mapping[str, bool], ...] = ()
    """Per input (as ``behaviour``), the exceptions its docstring's conditions say it must
    raise there (True) or must not (False): "raise ValueError if pack_size is not positive"
    on ``split_order(17, 5)`` rules ValueError out (:mod:`codegen_lsp.raise_rules`)."""
    crashes_excused: bool = False
    """The inputs were not checked against type hints (the function has none), so a crash on
    one may be the input's fault: only errors of broken code count against the candidate."""
    near: tuple[str, ...] = ()
    """What it did on the calls near the docstring's examples (:mod:`codegen_lsp.variants`), keyed
    as ``behaviour``; compared for the "verified" mark and to order candidates equal on the
    examples, never scored."""
    near_told: tuple[Mapping[str, bool], ...] = ()
    """Per call near the examples (as ``near``), what the docstring's conditions say it must
    raise there, as ``raise_told``."""
    near_empty: tuple[str, ...] = ()
    """What it did on those of the calls near the examples that pass an empty list, string or
    mapping (:func:`codegen_lsp.variants.passes_empty`), keyed as ``near``."""
    unread: tuple[str, ...] = ()
    """The function's parameters its body never reads (:mod:`codegen_lsp.unread`)."""

    @property
    def broken_keys(self) -> frozenset[str]:
        """The behaviour keys that say its code is broken, given how its inputs were made."""
        return BROKEN_CODE if self.crashes_excused else HINTED_BROKEN_CODE

    @property
    def broken_share(self) -> float:
        """Share of the drawn inputs on which it raised an error of broken code (a typo'd name)."""
        if not self.behaviour:
            return 0.0
        broken = self.broken_keys
        return sum(key in broken for key in self.behaviour) / len(self.behaviour)

    @property
    def crash_share(self) -> float:
        """Share of the drawn inputs on which the candidate raised or timed out."""
        if not self.behaviour:
            return 0.0
        return sum(not key.startswith("=") for key in self.behaviour) / len(self.behaviour)

    @property
    def documented_share(self) -> float:
        """Share of the drawn inputs on which it raised an exception its docstring says it raises.

        No crash: "raise ValueError when currencies mix" asks for exactly that on a mix. Broken
        code (a ``NameError``) stays broken whatever the docstring says.
        """
        wanted = documented_keys(self.description) - BROKEN_CODE
        if not self.behaviour or not wanted:
            return 0.0
        documented = 0
        for index, key in enumerate(self.behaviour):
            name = key.split(":", 1)[0]
            if index < self.accepted or key in self.broken_keys or name not in wanted:
                continue
            # Raised where the docstring's own condition says it must not: no rule followed.
            documented += self._told(index).get(name[1:]) is not False
        return documented / len(self.behaviour)

    def _told(self, index: int) -> Mapping[str, bool]:
        return self.raise_told[index] if index < len(self.raise_told) else {}

    @property
    def ignored_rule_share(self) -> float:
        """Share of the inputs its docstring says it must raise on, where it returned instead.

        "Raise ValueError if amount is negative": a body that restocks -3 units has left the
        rule out. Counted among those inputs alone.
        """
        required = [
            key for index, key in enumerate(self.behaviour) if any(self._told(index).values())
        ]
        if not required:
            return 0.0
        return sum(key.startswith("=") for key in required) / len(required)

    @property
    def refused_taken_share(self) -> float:
        """Share of the inputs the docstring presents as taken (``accepted``) it raised on.

        ``Read a quantity such as "12", " 7 units" or "3 pcs"``: a body that raises on two of
        the three refuses what the user wrote down as valid. Among 21 inputs, 2 crashes
        weighed little against a likelier sample, which ranked first.
        """
        taken = self.behaviour[: self.accepted]
        if not taken:
            return 0.0
        return sum(not key.startswith("=") for key in taken) / len(taken)

    @property
    def hangs_near(self) -> bool:
        """It did not finish some call near the examples in time (``fib4(33)`` recursing)."""
        return TIMED_OUT in self.near

    @property
    def breaks_near(self) -> bool:
        """It raised on an empty argument near the examples, and nothing excuses that.

        ``rolling_max([])`` reading ``numbers[0]``: the type hints allow the call, the docstring
        refuses no input, and stricter hidden tests call exactly there. A ``ValueError`` is how
        Python refuses a value outside a function's domain (``max([])``), so it is no sign of
        a case left unhandled; nor is any error when the function has no hints (nothing says
        the call is one it accepts) or its docstring says it raises. Only empty arguments
        count: a negative number or a shorter string is often outside the domain
        (``fib4(-5)``).
        """
        if self.crashes_excused or RAISING_WORDS.search(self.description):
            return False
        return any(unhandled(key) for key in self.near_empty)

    @property
    def breaks_rule_near(self) -> bool:
        """It did the other of what its docstring's raise conditions say, near the examples.

        It returned where a condition says it raises, or raised that exception where the
        conditions say it must not. More-itertools' ``first``: "If *default* is not provided
        and there are no items in the iterable, raise ``ValueError``". ``return
        next(iter(iterable), default)`` passes both examples and returns the module's private
        sentinel on ``first([])``; the package's own tests call exactly there.
        """
        return any(
            broken_rule(key, told) for key, told in zip(self.near, self.near_told, strict=False)
        )

    @property
    def raises_as_documented(self) -> bool:
        """It raised an exception its docstring says it raises, on a call it was compared on.

        "Raise ValueError when currencies mix": of bodies equal on the examples (which all mix
        nothing), the one that refuses a mix near them does what the description asks, and
        the one that never raises it may have left the rule out (or written it as
        ``item.currency != item.currency``). A raise on an empty argument near the examples
        counts only when the docstring speaks of emptiness: a body that refuses ``total([])``
        and sums a mix has not followed the rule.
        """
        wanted = documented_keys(self.description)
        if not wanted:
            return False
        if any(key in wanted for key in self.behaviour):
            return True
        raised = Counter(key for key in self.near if key in wanted)
        if not _EMPTINESS.search(self.description):
            # On an empty argument many bodies refuse for reasons of their own (``max([])``'s
            # ValueError, a check that nothing was given): unless the docstring speaks of
            # emptiness, that is no sign of its rule ("when currencies mix").
            raised -= Counter(key for key in self.near_empty if key in wanted)
        return sum(raised.values()) > 0

    @property
    def mean_logprob(self) -> float | None:
        """Mean token log-probability, None when unknown."""
        if not self.logprobs:
            return None
        value = sum(self.logprobs) / len(self.logprobs)
        return value if math.isfinite(value) else None

    @property
    def passes_all(self) -> bool:
        """Every example ran and passed (False when there are none)."""
        return self.examples_total > 0 and self.examples_passed == self.examples_total
