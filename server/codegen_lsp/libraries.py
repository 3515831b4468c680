"""Show the model what an installed library offers, so that a body calls what exists.

A file in a user's project does ``import inflection`` (installed in the project's virtualenv)
and has a stub ``slug(book: Book) -> str`` whose docstring says "its title parameterized".
A small code model knows the famous libraries, not this one: asked for a body, it calls
``inflection.civil_year``, ``inflection.digitize``, ``inflection.civilize``, none of which
exist, and every such candidate fails with AttributeError. Shown what the module offers, it
can call ``inflection.parameterize``.

This module decides which of a library's members to show and writes them as comments for the
prompt; :mod:`codegen_lsp.crossfile` finds the members with jedi under the project's own
interpreter. The members whose names or first docstring lines share words with the function's
name and docstring ("parameterized" and ``parameterize``, "title" and ``titleize``) are shown
with their signature and the first sentence of their docstring, at most
:data:`SHOWN_MEMBERS`; a small library's other public names follow on one line. A large library
(a package of many files, or more than 60 public names: numpy, more_itertools) is one a model
knows, and shows nothing: its relevant-sounding members would mislead (``numpy.load`` for "read
points from a JSON file"), and reading it costs the time box seconds.
A name the file imports from a library (``from inflection import parameterize``) is shown
with its signature when it is relevant, whatever the library's size.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SHOWN_MEMBERS = 3
"""At most this many members of one library are shown with their signature."""
LISTED_MEMBERS = 30
"""A library with at most this many public functions and classes lists the rest by name."""
MIN_RELEVANCE = 2
"""A member is shown when its :func:`relevance` reaches this: one word of a docstring in common
("first") is chance; its name's stem, or two words, is not."""
SUMMARY_CHARS = 100
"""A member's docstring sentence is cut to this many characters."""

HEADER = ": installed in the project's environment, not the project's code"
"""How a library block's first line ends, after ``# <module>``."""

_WORD = re.compile(r"[A-Za-z][a-z]+|[A-Z]+(?![a-z])")
_MIN_STEM = 4
# Words that say nothing about what a function does: they would match half of any library.
# (Shorter words than _MIN_STEM never count.)
_STOP_WORDS = frozenset(
    {
        "also",
        "each",
        "else",
        "every",
        "false",
        "from",
        "function",
        "functions",
        "given",
        "into",
        "item",
        "items",
        "list",
        "lists",
        "more",
        "most",
        "none",
        "number",
        "numbers",
        "object",
        "objects",
        "only",
        "other",
        "return",
        "returned",
        "returns",
        "some",
        "string",
        "strings",
        "such",
        "than",
        "that",
        "then",
        "these",
        "this",
        "those",
        "true",
        "value",
        "values",
        "what",
        "when",
        "where",
        "which",
        "with",
        "yield",
        "yields",
    }
)


@dataclass(frozen=True)
class Member:
    """A public function or class of a library module, as the project's interpreter sees it."""

    name: str
    kind: str
    """``function`` or ``class``."""
    signature: str
    """E.g. ``parameterize(string: str, separator: str='-') -> str``; the name alone if unknown."""
    summary: str
    """The first sentence of its docstring, or ""."""


def words_of(text: str) -> frozenset[str]:
    """Return the words of ``text`` that can say what a function does, lower-cased.

    Identifiers are split at underscores and capitals (``parse_isbn``, ``dasherize``), and
    short or common words are dropped.
    """
    found = (word.lower() for word in _WORD.findall(text))
    return frozenset(w for w in found if len(w) >= _MIN_STEM and w not in _STOP_WORDS)


def _related(one: str, other: str) -> bool:
    """Tell whether two words share a stem: one starts the other ("title", "titleize")."""
    short, long = sorted((one, other), key=len)
    return long.startswith(short[: max(_MIN_STEM, len(short) - 2)])


def relevance(member: Member, wanted: frozenset[str]) -> int:
    """Return how many of ``wanted`` (:func:`words_of` the function) the member's words meet.

    Its name counts twice: ``parameterize`` for "its title parameterized" beats a member whose
    docstring merely mentions a title.
    """
    named = words_of(member.name)
    described = words_of(member.summary) - named
    score = 0
    for word in wanted:
        if any(_related(word, own) for own in named):
            score += 2
        elif any(_related(word, own) for own in described):
            score += 1
    return score


def summary_line(docstring: str) -> str:
    """Return the first sentence of a docstring, on one line and cut to SUMMARY_CHARS."""
    paragraph = docstring.strip().split("\n\n", 1)[0]
    text = " ".join(paragraph.split())
    end = re.search(r"(?<=[.!?])\s", text)
    sentence = text[: end.start()] if end else text
    return sentence if len(sentence) <= SUMMARY_CHARS else sentence[: SUMMARY_CHARS - 3] + "..."


def chosen(members: Sequence[Member], wanted: frozenset[str]) -> list[Member]:
    """Return the members to show with their signature: the most relevant, in that order."""
    scored = [(relevance(member, wanted), index) for index, member in enumerate(members)]
    best = sorted(
        (item for item in scored if item[0] >= MIN_RELEVANCE), key=lambda item: (-item[0], item[1])
    )
    return [members[index] for _, index in best[:SHOWN_MEMBERS]]


def module_text(module: str, bound: str, members: Sequence[Member], wanted: frozenset[str]) -> str:
    """Return the comment block that shows a library module bound to ``bound`` (``import x``).

    "" when there is nothing worth its tokens: no members, or more than :data:`LISTED_MEMBERS`
    without a relevant one.
    """
    shown = chosen(members, wanted)
    rest = [m.name for m in members if m not in shown] if len(members) <= LISTED_MEMBERS else []
    if not shown and not rest:
        return ""
    lines = [f"# {module}{HEADER}"]
    lines += [_member_line(f"{bound}.", member) for member in shown]
    if rest:
        label = f"{bound} also has" if shown else f"{bound} has"
        lines.append(f"# {label}: {', '.join(rest)}")
    return "\n".join(lines)


def members_text(module: str, members: Iterable[Member]) -> str:
    """Return the comment block that shows names a file imports from a library module."""
    lines = [f"# {module}{HEADER}"]
    lines += [_member_line("", member) for member in members]
    return "\n".join(lines)


def _member_line(prefix: str, member: Member) -> str:
    made = "class " if member.kind == "class" else ""
    said = f": {member.summary}" if member.summary else ""
    return f"# {made}{prefix}{member.signature}{said}"


_FIRST_NAME = re.compile(r"#\s*(?:class\s+)?([A-Za-z_]\w*)")
_LISTING = re.compile(r"\)\s*->|\bhas:|" + re.escape(HEADER.strip(": ")))


def named_in_blocks(definitions: Iterable[str]) -> frozenset[str]:
    """Return the names the library blocks among ``definitions`` start their lines with.

    The module, the name it is bound to (``inflection``), and each member shown alone.
    """
    found: set[str] = set()
    for text in definitions:
        first, _, rest = text.partition("\n")
        if not (first.startswith("# ") and first.endswith(HEADER)):
            continue
        found.add(first[2 : -len(HEADER)])
        for line in rest.splitlines():
            match = _FIRST_NAME.match(line)
            if match:
                found.add(match.group(1))
    return frozenset(found)


_NO_SUCH_MEMBER = re.compile(r"module '([\w.]+)' has no attribute '(\w+)'")
LISTED_IN_REPAIR = 20
"""A repair request names at most this many of a library's members."""


def with_members(failure: str, definitions: Iterable[str]) -> str:
    """Add to an error of a library member that does not exist the members the prompt showed.

    ``module 'humanize' has no attribute 'format_price'``: told only that, a user's repair
    round wrote ``humanize.format_price`` again. The members come from the library's block
    among ``definitions`` (:func:`module_text`), shown ones first; ``failure`` is returned as
    it is when the error is another, or the prompt showed no block for that module.
    """
    match = _NO_SUCH_MEMBER.search(failure)
    if match is None:
        return failure
    module = match.group(1)
    members: list[str] = []
    for text in definitions:
        first, _, rest = text.partition("\n")
        if first != f"# {module}{HEADER}":
            continue
        for line in rest.splitlines():
            listed = re.match(rf"#\s*{re.escape(module)}(?: also)? has:\s*(.*)", line)
            shown = re.match(rf"#\s*(?:class\s+)?{re.escape(module)}\.(\w+)", line)
            if listed:
                members += [name.strip() for name in listed.group(1).split(",") if name.strip()]
            elif shown:
                members.append(shown.group(1))
    if not members:
        return failure
    named = ", ".join(members[:LISTED_IN_REPAIR])
    return f"{failure}; `{module}` has: {named}"


def echoes_a_block(line: str, names: frozenset[str]) -> bool:
    """Tell whether a comment line of a body repeats a library block's listing.

    The model sometimes copies the block into the body before the code: ``# inflection.
    ordinalize(number: int) -> str: Turn a number...``, ``# inflection also has: camelize,
    ...``. A comment that merely names the library (``# inflection makes the slug``) is the
    body's own.
    """
    match = _FIRST_NAME.match(line.strip())
    return bool(match and match.group(1) in names and _LISTING.search(line))
