"""When a docstring says its function raises, and whether a drawn call meets that condition.

"Raise ValueError if pack_size is not positive": on ``split_order(17, 5)`` a body that raises
ValueError has not done what the docstring asks, though it raised the documented exception; on
``split_order(3, 0)`` a body that returns has not either. Without this, any raise of a
documented exception counted as the behaviour asked for, on every input: a user's billing
``split_evenly`` was titled "raises as documented on 15" for a body that refused every split.

Only simple conditions on one parameter are read (negative, not positive, zero, empty, None,
a comparison with a number), and only for an exception whose every mention has one: a rule
left unread (``raise KeyError for an unknown sku``) says nothing of where that exception is
right, so none of its conditions is used.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from codegen_lsp import inputs
from codegen_lsp.context import FunctionContext
from codegen_lsp.ranking.candidate import RAISE_VERB, documented_raises

_NAME = r"`?([A-Za-z_]\w*)`?"
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
_CONDITION = r"((?:[^.;\n]|\.(?=\d))+)"
"""A condition, up to the end of its clause (a decimal point ends nothing: ``n < 0.5``)."""
_RULE = re.compile(rf"{RAISE_VERB}\s+(?i:if|when)\s+{_CONDITION}")
"""A raise with its condition: "Raise ValueError if pack_size is not positive"."""
_SECTION_RULE = re.compile(rf"^\s*`*([A-Z]\w*)`*\s*:\s*(?:if|when)\s+{_CONDITION}", re.M | re.I)
"""A Google-style "Raises:" entry: "ValueError: If amount is negative"."""
_MENTION = re.compile(RAISE_VERB)


@dataclass(frozen=True)
class RaiseRule:
    """The docstring raises ``exception`` when ``test`` holds for ``parameter``'s value."""

    exception: str
    parameter: str
    test: Callable[[Any], bool]


def _condition(text: str, parameters: tuple[str, ...]) -> list[tuple[str, Callable[[Any], bool]]]:
    """Return the (parameter, test) of each part of ``text`` joined by "or"; [] if one is unread."""
    if re.search(r"\band\b", text, re.I):
        return []  # both must hold: not read
    found = []
    for part in re.split(r"\s+or\s+(?=`?[A-Za-z_]\w*`?\s+(?:is|[<>=!]))", text.strip()):
        rule = _read(part.strip(), parameters)
        if rule is None:
            return []
        found.append(rule)
    return found


def _read(part: str, parameters: tuple[str, ...]) -> tuple[str, Callable[[Any], bool]] | None:
    state = _STATE.match(part)
    if state and state.group(1) in parameters:
        words = re.sub(r"\s+", " ", state.group(2).lower()).replace("not a ", "not ")
        return state.group(1), _STATES[words]
    for pattern in (_SYMBOLIC, _WORDS):
        match = pattern.match(part)
        if match and match.group(1) in parameters:
            operator = _WORDED.get(match.group(2).lower(), match.group(2))
            compare, limit = _COMPARISONS[operator], float(match.group(3))
            return match.group(1), lambda value, c=compare, n=limit: c(value, n)
    return None


@dataclass(frozen=True)
class RaiseRules:
    """What a function's docstring says of when it raises, and how its calls pass arguments."""

    function: str
    positional: tuple[str, ...]
    """Its parameters that a call may pass by position, in order (``self`` left out)."""
    rules: tuple[RaiseRule, ...]

    def expectations(self, call: str) -> dict[str, bool]:
        """Return, per exception with rules, whether ``call`` must raise it (True) or must not.

        Only where every rule of that exception can be told on the call's arguments: literals,
        passed by position or keyword to a plain call of the function. Empty otherwise.
        """
        values = self._arguments(call)
        if values is None:
            return {}
        told: dict[str, bool] = {}
        for exception in {rule.exception for rule in self.rules}:
            results = []
            for rule in (r for r in self.rules if r.exception == exception):
                if rule.parameter not in values:
                    break
                try:
                    results.append(bool(rule.test(values[rule.parameter])))
                except (TypeError, ValueError):
                    break
            else:
                told[exception] = any(results)
        return told

    def _arguments(self, call: str) -> dict[str, Any] | None:
        """Return the literal values ``call`` passes, by parameter name; None for another call."""
        try:
            node = ast.parse(call, mode="eval").body
        except SyntaxError:
            return None
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == self.function
        ):
            return None
        passed = list(zip(self.positional, node.args, strict=False))
        passed += [(k.arg, k.value) for k in node.keywords if k.arg is not None]
        values = {}
        for name, argument in passed:
            try:
                values[name] = ast.literal_eval(argument)
            except (ValueError, SyntaxError, TypeError):
                continue  # built from a class, a name: not known here
        return values


def raise_rules(
    docstring: str, function: str, positional: tuple[str, ...], keywords: tuple[str, ...] = ()
) -> RaiseRules | None:
    """Return the conditions under which the docstring says each exception is raised.

    ``positional`` and ``keywords``: the function's parameter names. An exception mentioned
    anywhere without a condition read here gets no rule; None when none has one.
    """
    parameters = positional + keywords
    rules: list[RaiseRule] = []
    unread: set[str] = set()
    for match in [*_RULE.finditer(docstring), *_SECTION_RULE.finditer(docstring)]:
        exception, text = match.group(1), match.group(2)
        parts = _condition(text, parameters)
        if not parts:
            unread.add(exception)
            continue
        rules += [RaiseRule(exception, name, test) for name, test in parts]
    mentioned = [m.group(1) for m in _MENTION.finditer(docstring)]
    for exception in set(mentioned):
        with_condition = sum(1 for m in _RULE.finditer(docstring) if m.group(1) == exception)
        if mentioned.count(exception) > with_condition:
            unread.add(exception)  # "raise KeyError for an unknown sku": a rule not read
    # Only what the docstring says is raised: "Note: if n is negative, ..." is no exception.
    raised = documented_raises(docstring)
    kept = tuple(r for r in rules if r.exception not in unread and r.exception in raised)
    return RaiseRules(function, positional, kept) if kept else None


def rules_of(ctx: FunctionContext) -> RaiseRules | None:
    """Return :func:`raise_rules` for a function called by name; None for a method or none."""
    if inputs.callee(ctx) != inputs.FUNCTION or not ctx.docstring:
        return None
    positional, keywords = inputs.parameter_names(ctx)
    return raise_rules(ctx.docstring, ctx.name, positional, keywords)
