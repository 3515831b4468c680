"""When a docstring says its function raises, and whether a drawn call meets that condition.

"Raise ValueError if pack_size is not positive": on ``split_order(17, 5)`` a body that raises
ValueError has not done what the docstring asks, though it raised the documented exception; on
``split_order(3, 0)`` a body that returns has not either. Without this, any raise of a
documented exception counted as the behaviour asked for, on every input: a user's billing
``split_evenly`` was titled "raises as documented on 15" for a body that refused every split.

Simple conditions on parameters are read (negative, not positive, zero, empty, None, a
comparison with a number or with another parameter, "there are no items in", "is not
provided"), joined by "or" or by "and", in the phrasings docstrings use: "Raise ValueError if
n < 0", "If n < 0, raise ValueError", "a ValueError is raised when ...", Sphinx's ":raises
ValueError: if ...", Google's and NumPy's "Raises" sections; a name may be marked ```n```,
````n```` or ``*n*``, and a condition may wrap onto the next line. Only for an exception whose
every mention has one: a rule left unread (``raise KeyError for an unknown sku``) says nothing
of where that exception is right, so none of its conditions is used.
"""

from __future__ import annotations

import ast
import datetime
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from codegen_lsp import inputs
from codegen_lsp.context import FunctionContext
from codegen_lsp.ranking.candidate import (
    RAISE_VERB,
    RAISED_PASSIVE,
    RAISES_SECTION,
    documented_raises,
)

_NAME = r"[`*]{0,2}([A-Za-z_]\w*)[`*]{0,2}"
"""A parameter's name as docstrings mark it: bare, `code`, ``literal`` or *emphasis*."""
_NUMBER = r"(-?\d+(?:\.\d+)?)"
_COMPARISONS: dict[str, Callable[[Any, float], bool]] = {
    "<": lambda value, limit: value < limit,
    "<=": lambda value, limit: value <= limit,
    ">": lambda value, limit: value > limit,
    ">=": lambda value, limit: value >= limit,
    "==": lambda value, limit: value == limit,
    "!=": lambda value, limit: value != limit,
}
_WORDED = {
    "less than": "<",
    "smaller than": "<",
    "lower than": "<",
    "fewer than": "<",
    "below": "<",
    "greater than": ">",
    "larger than": ">",
    "more than": ">",
    "bigger than": ">",
    "above": ">",
    "at most": "<=",
    "at least": ">=",
    "equal to": "==",
    "after": ">",
    "later than": ">",
    "before": "<",
    "earlier than": "<",
}
_STATES: dict[str, Callable[[Any], bool]] = {
    "negative": lambda value: value < 0,
    "not positive": lambda value: value <= 0,
    "non-positive": lambda value: value <= 0,
    "zero or negative": lambda value: value <= 0,
    "negative or zero": lambda value: value <= 0,
    "zero": lambda value: value == 0,
    "empty": lambda value: len(value) == 0,
    "none": lambda value: value is None,
}
_STATE = re.compile(
    rf"^{_NAME}\s+is\s+(?:an?\s+)?"
    r"(not\s+(?:a\s+)?positive|non-positive|zero\s+or\s+negative|negative\s+or\s+zero"
    r"|negative|zero|empty|none)\b",
    re.I,
)
_SYMBOLIC = re.compile(rf"^{_NAME}\s*(<=|>=|==|!=|<|>)\s*{_NUMBER}\b")
_WORDS = re.compile(
    rf"^{_NAME}\s+is\s+({'|'.join(_WORDED)})\s+{_NUMBER}\b",
    re.I,
)
_SYMBOLIC_PAIR = re.compile(rf"^{_NAME}\s*(<=|>=|==|!=|<|>)\s*{_NAME}$")
_WORDS_PAIR = re.compile(rf"^{_NAME}\s+is\s+({'|'.join(_WORDED)})\s+{_NAME}$", re.I)
"""Two parameters compared: "start > end", "``end`` is before ``start``"."""
_ABSENT = re.compile(
    rf"^(?:no\s+{_NAME}\s+is\s+|{_NAME}\s+is\s+not\s+)(?:provided|given|passed|specified|supplied)$",
    re.I,
)
"""A parameter left out of the call: "*default* is not provided", "no key is given"."""
_NO_ITEMS = re.compile(
    rf"^(?:there\s+(?:are|is)\s+no\s+(?:items?|elements?|values?|entries)\s+in\s+(?:the\s+)?"
    rf"{_NAME}|{_NAME}\s+(?:has|contains|holds)\s+no\s+(?:items?|elements?|values?|entries))$",
    re.I,
)
"""Emptiness in words: "there are no items in the iterable", "rows has no items"."""
_QUALIFIER = re.compile(
    r"\b(?:if|when|whenever|unless|only|except|before|after|until|while|provided|once|but)\b",
    re.I,
)
"""Words that, after a raise and its condition, add a condition of their own: "If n is
negative, raise ValueError unless *strict* is False", "raise ValueError if n is negative, or if
m is zero"; read without them, the rule would hold a right body wrong."""
_CLAUSE_END = re.compile(r";|\.(?!\d)")
_CONDITION = r"((?:[^.;,\n]|\.(?=\d))+)"
"""A condition, up to the end of its clause (a decimal point ends nothing: ``n < 0.5``)."""
_EXCEPTION = r"`*([A-Z][A-Za-z0-9_]*)`*"
_WHEN = r"(?i:if|when|whenever)"
_PHRASES = (
    # "Raise ValueError if pack_size is not positive": the exception, then its condition.
    (re.compile(rf"{RAISE_VERB}\s+{_WHEN}\s+{_CONDITION}"), 1, 2),
    # "A ValueError is raised if n is negative".
    (re.compile(rf"{RAISED_PASSIVE}\s+{_WHEN}\s+{_CONDITION}"), 1, 2),
    # Sphinx's ":raises ValueError: if n is negative".
    (re.compile(rf":raises?\s+{_EXCEPTION}\s*:\s*{_WHEN}\s+{_CONDITION}"), 1, 2),
    # "If n is negative, raise ValueError" / "..., a ValueError is raised": condition first.
    (
        re.compile(
            rf"\b{_WHEN}\s+([^,.;]+?),\s+"
            r"(?i:then\s+)?(?:(?i:it|this|the\s+function)\s+)?"
            rf"(?:{RAISE_VERB}|{RAISED_PASSIVE})"
        ),
        (2, 3),
        1,
    ),
)
"""Each phrase of a raise and its condition, with the groups of its exception and condition."""
_MENTIONS = re.compile(rf"{RAISE_VERB}|{RAISED_PASSIVE}")
_ENTRY = re.compile(r"^`*([A-Z]\w*)`*\s*(?::\s*(.*))?$")
"""A "Raises" section's entry: Google's ``ValueError: If ...``, NumPy's ``ValueError`` line."""
_ENTRY_RULE = re.compile(rf"^(?i:if|when)\s+{_CONDITION}")


class _Absent:
    """The value of a parameter the call leaves out (its default applies)."""


class _Unknown:
    """The value of an argument that is no literal (a name, an object built from a class)."""


ABSENT = _Absent()
UNKNOWN = _Unknown()


def _is_absent(value: Any) -> bool:
    return value is ABSENT


def _compared(compare: Callable[[Any, float], bool], limit: float, value: Any) -> bool:
    return compare(value, limit)


@dataclass(frozen=True)
class Condition:
    """A condition on a parameter's value (or, ``presence``, on whether it is passed).

    With ``other``, on two parameters' values: ``test(value, other's value)``.
    """

    parameter: str
    test: Callable[..., bool]
    presence: bool = False
    other: str = ""

    def holds(self, values: Mapping[str, Any]) -> bool | None:
        """Tell whether it holds for a call's ``values``; None when the call does not tell."""
        value = values.get(self.parameter, UNKNOWN)
        if self.presence:
            return self.test(value)  # told on what the call leaves out, too
        arguments = [value, values.get(self.other, UNKNOWN)] if self.other else [value]
        if any(argument is ABSENT or argument is UNKNOWN for argument in arguments):
            return None
        try:
            return bool(self.test(*arguments))
        except (TypeError, ValueError):
            return None


@dataclass(frozen=True)
class RaiseRule:
    """The docstring raises ``exception`` when every one of ``conditions`` holds."""

    exception: str
    conditions: tuple[Condition, ...]
    said: str = ""
    """The docstring's words for it, to quote to the model ("raise ``ValueError`` if ...")."""


def _rules(
    exception: str, text: str, parameters: tuple[str, ...], said: str = ""
) -> list[RaiseRule]:
    """Return the rules ``text`` states for ``exception``; [] if a part of it is unread.

    Parts joined by "or" are rules of their own; parts joined by "and" must all hold. Both in
    one condition are not read.
    """
    text = text.strip()
    joined_by_and = re.search(r"\band\b", text, re.I)
    if joined_by_and and re.search(r"\bor\b", text, re.I):
        return []
    if joined_by_and:
        parts = [_read(part.strip(), parameters) for part in re.split(r"\s+and\s+", text)]
        if any(part is None for part in parts):
            return []
        return [RaiseRule(exception, tuple(part for part in parts if part is not None), said)]
    rules = []
    for part in re.split(r"\s+or\s+(?=[`*]{0,2}[A-Za-z_]\w*[`*]{0,2}\s+(?:is|[<>=!]))", text):
        condition = _read(part.strip(), parameters)
        if condition is None:
            return []
        rules.append(RaiseRule(exception, (condition,), said))
    return rules


def _read(part: str, parameters: tuple[str, ...]) -> Condition | None:
    """Read one condition; None unless all of ``part`` is read ("n is negative (mostly)")."""

    def whole(match: re.Match[str] | None) -> re.Match[str] | None:
        return match if match and not part[match.end() :].strip() else None

    state = whole(_STATE.match(part))
    if state and state.group(1) in parameters:
        words = re.sub(r"\s+", " ", state.group(2).lower()).replace("not a ", "not ")
        return Condition(state.group(1), _STATES[words])
    for pattern in (_SYMBOLIC, _WORDS):
        match = whole(pattern.match(part))
        if match and match.group(1) in parameters:
            operator = _WORDED.get(match.group(2).lower(), match.group(2))
            compare, limit = _COMPARISONS[operator], float(match.group(3))
            return Condition(match.group(1), functools.partial(_compared, compare, limit))
    for pattern in (_SYMBOLIC_PAIR, _WORDS_PAIR):
        match = pattern.match(part)
        if match and match.group(1) in parameters and match.group(3) in parameters:
            operator = _WORDED.get(match.group(2).lower(), match.group(2))
            return Condition(match.group(1), _COMPARISONS[operator], other=match.group(3))
    absent = _ABSENT.match(part)
    name = absent and (absent.group(1) or absent.group(2))
    if name and name in parameters:
        return Condition(name, _is_absent, presence=True)
    no_items = _NO_ITEMS.match(part)
    name = no_items and (no_items.group(1) or no_items.group(2))
    if name and name in parameters:
        return Condition(name, _STATES["empty"])
    return None


def _qualified(rest: str) -> bool:
    """Tell whether the clause after a raise phrase adds a condition the phrase did not hold."""
    return bool(_QUALIFIER.search(_CLAUSE_END.split(rest, maxsplit=1)[0]))


@dataclass(frozen=True)
class RaiseRules:
    """What a function's docstring says of when it raises, and how its calls pass arguments."""

    function: str
    positional: tuple[str, ...]
    """Its parameters that a call may pass by position, in order (``self`` left out)."""
    rules: tuple[RaiseRule, ...]
    keywords: tuple[str, ...] = ()
    """Its parameters that a call passes by keyword only."""
    attribute: bool = False
    """A method's rules: its calls are ``<object or class>.name(...)``, not ``name(...)``."""

    def expectations(self, call: str) -> dict[str, bool]:
        """Return, per exception with rules, whether ``call`` must raise it (True) or must not.

        Only where every rule of that exception can be told on the call's arguments: literals
        (or, for "is not provided", whether it is passed at all), passed by position or
        keyword to a plain call of the function. Empty otherwise.
        """
        values = self._arguments(call)
        if values is None:
            return {}
        told: dict[str, bool] = {}
        for exception in {rule.exception for rule in self.rules}:
            results = []
            for rule in (r for r in self.rules if r.exception == exception):
                holds = [condition.holds(values) for condition in rule.conditions]
                if None in holds:
                    break
                results.append(all(holds))
            else:
                told[exception] = any(results)
        return told

    def said(self, exception: str) -> str:
        """Return the docstring's words for when ``exception`` is raised (its first rule's)."""
        return next((r.said for r in self.rules if r.exception == exception and r.said), "")

    def _arguments(self, call: str) -> dict[str, Any] | None:
        """Return what ``call`` passes, by parameter name; None for another call.

        A literal is its value, any other argument :data:`UNKNOWN`, and a parameter the call
        leaves out :data:`ABSENT` (unless it unpacks ``*args`` or ``**kwargs``: then nothing
        is known of what it leaves out).
        """
        try:
            node = ast.parse(call, mode="eval").body
        except SyntaxError:
            return None
        if not isinstance(node, ast.Call):
            return None
        func = node.func
        if self.attribute:
            if not (isinstance(func, ast.Attribute) and func.attr == self.function):
                return None
        elif not (isinstance(func, ast.Name) and func.id == self.function):
            return None
        passed = list(zip(self.positional, node.args, strict=False))
        passed += [(k.arg, k.value) for k in node.keywords if k.arg is not None]
        unpacks = any(isinstance(a, ast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords
        )
        values: dict[str, Any] = {}
        if not unpacks:
            values = dict.fromkeys(self.positional + self.keywords, ABSENT)
        for name, argument in passed:
            values[name] = _value(argument)
        return values


_STANDARD_VALUES: dict[str, Callable[..., Any]] = {
    "date": datetime.date,
    "datetime": datetime.datetime,
    "time": datetime.time,
    "timedelta": datetime.timedelta,
}
"""Standard value types a drawn call builds (``date(2024, 5, 3)``, ``datetime.date(...)``):
"raise ValueError if end is before start" is told on dates."""


def _value(argument: ast.expr) -> Any:
    """Return an argument's value: a literal, or a standard date, time or timedelta of literals.

    :data:`UNKNOWN` for anything else (a name, an object built from a class).
    """
    try:
        return ast.literal_eval(argument)
    except (ValueError, SyntaxError, TypeError):
        pass
    if not isinstance(argument, ast.Call) or any(isinstance(a, ast.Starred) for a in argument.args):
        return UNKNOWN
    called = argument.func
    if isinstance(called, ast.Attribute) and isinstance(called.value, ast.Name):
        name = called.attr if called.value.id == "datetime" else ""
    else:
        name = called.id if isinstance(called, ast.Name) else ""
    build = _STANDARD_VALUES.get(name)
    if build is None:
        return UNKNOWN
    try:
        positional = [ast.literal_eval(a) for a in argument.args]
        keywords = {k.arg: ast.literal_eval(k.value) for k in argument.keywords if k.arg}
        return build(*positional, **keywords)
    except (ValueError, SyntaxError, TypeError, OverflowError):
        return UNKNOWN


def _phrase_rules(docstring: str, parameters: tuple[str, ...]) -> tuple[list[RaiseRule], set[str]]:
    """Return the rules read from raise phrases, and the exceptions with a phrase unread.

    Read on the docstring with its lines joined (a condition wraps as often as not). Each
    mention of a raise must be one phrase read with its condition, and by one phrase only: an
    exception mentioned without one ("raise KeyError for an unknown sku") or read two ways
    ("raise ValueError if n is negative, raise TypeError if ..." also reads as "if n is
    negative, raise TypeError") is left unread.
    """
    flat = " ".join(docstring.split())
    read: dict[int, tuple[str, list[RaiseRule]]] = {}
    unread: set[str] = set()
    for pattern, exception_groups, condition_group in _PHRASES:
        groups = exception_groups if isinstance(exception_groups, tuple) else (exception_groups,)
        for match in pattern.finditer(flat):
            group = next(g for g in groups if match.group(g))
            exception, at = match.group(group), match.start(group)
            said = match.group(0).strip()
            rules = _rules(exception, match.group(condition_group), parameters, said)
            if _qualified(flat[match.end() :]):  # a rule only in part is a wrong rule
                rules = []
            if at in read or not rules:
                unread.add(exception)
            read[at] = (exception, rules)
    for mention in _MENTIONS.finditer(flat):
        group = 1 if mention.group(1) else 2
        if mention.start(group) not in read:
            unread.add(mention.group(group))
    return [rule for _, rules in read.values() for rule in rules], unread


def _section_entries(docstring: str) -> list[tuple[str, str]]:
    """Return each entry of the docstring's "Raises" sections: its exception and its text.

    Google's ``ValueError: If amount is negative.`` and NumPy's ``ValueError`` line with the
    text indented under it; a text that wraps is joined.
    """
    entries: list[tuple[str, list[str]]] = []
    for section in RAISES_SECTION.finditer(docstring):
        lines = [line for line in section.group(2).splitlines() if line.strip()]
        if lines and set(lines[0].strip()) == {"-"}:
            lines = lines[1:]  # NumPy's underline
        indent = min((len(line) - len(line.lstrip()) for line in lines), default=0)
        for line in lines:
            entry = _ENTRY.match(line.strip()) if len(line) - len(line.lstrip()) == indent else None
            if entry:
                entries.append((entry.group(1), [entry.group(2) or ""]))
            elif entries:
                entries[-1][1].append(line.strip())
    return [(name, " ".join(" ".join(text).split())) for name, text in entries]


def raise_rules(
    docstring: str,
    function: str,
    positional: tuple[str, ...],
    keywords: tuple[str, ...] = (),
    attribute: bool = False,
) -> RaiseRules | None:
    """Return the conditions under which the docstring says each exception is raised.

    ``positional`` and ``keywords``: the function's parameter names (a method's without
    ``self`` or ``cls``); ``attribute``: a method, called on an object or its class. An
    exception mentioned anywhere without a condition read here gets no rule; None when none
    has one.
    """
    parameters = positional + keywords
    rules, unread = _phrase_rules(docstring, parameters)
    for exception, text in _section_entries(docstring):
        rule = _ENTRY_RULE.match(text)
        whole = rule and not _qualified(text[rule.end() :])
        found = _rules(exception, rule.group(1), parameters, text) if rule and whole else []
        rules += found
        unread.update([] if found else [exception])
    # Only what the docstring says is raised: "Note: if n is negative, ..." is no exception.
    raised = documented_raises(docstring)
    kept = tuple(r for r in rules if r.exception not in unread and r.exception in raised)
    return RaiseRules(function, positional, kept, keywords, attribute) if kept else None


def rules_of(ctx: FunctionContext) -> RaiseRules | None:
    """Return :func:`raise_rules` for a function or method a call reaches; None otherwise.

    A method's rules are told on calls on an object (or, for a static or class method, on its
    class): ``Account(owner='a').withdraw(-5)``. A property takes no arguments to tell.
    """
    reached = inputs.callee(ctx)
    if reached is None or reached[0] == "property" or not ctx.docstring:
        return None
    positional, keywords = inputs.parameter_names(ctx)
    if reached[0] in ("method", "classmethod"):
        positional = positional[1:]  # self or cls: the object or class the call is made on
    attribute = reached != inputs.FUNCTION
    return raise_rules(ctx.docstring, ctx.name, positional, keywords, attribute)
