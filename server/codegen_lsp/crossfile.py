"""Show the model what the names a function uses mean when they come from other files.

A function such as ``move_all(points: list[Pt], v: Vec) -> list[Pt]`` in ``shapes/ops.py``
uses ``Pt`` from ``shapes/geometry.py``. The current file only shows ``from shapes.geometry
import Pt``, so a model guesses ``point.x`` where the dataclass has ``east`` and ``north``.
This module asks jedi where those names are defined, under the project's own interpreter and
import paths, and returns a short summary of each definition for the prompt:

- a class: its decorators, ``class`` line, the first paragraph of its docstring, its class-level
  fields (dataclass fields, Enum members, constants), the ``self.`` attributes its ``__init__``
  assigns, and every method's signature followed by ``...``, never a method body;
- a function: its decorators, signature and docstring (trimmed), then ``...``;
- a constant: its assignment, the value truncated when long.

Each summary starts with a comment naming its module (``# from shapes.geometry``). The names
are taken, most relevant first, from the function's signature (annotations, defaults and
decorators), the code of its docstring's examples, its class's base classes (for a method),
the words of its docstring that the file imports, the names its prose marks as code, and last
every other name the file imports (the helpers and constants a body calls, which a stub's
signature and docstring seldom name), then the classes that type the fields of a class shown
for any of these (``Category`` for ``Item.category``, looked up in ``Item``'s file; a plain
class's fields are typed by its ``__init__`` parameters and ``self.x: T`` assignments), and
theirs in turn, up to three levels deep (``Shelf.bins: list[Bin]``, then
``Bin.items: list[Item]``); a field typed by one of the classes shown then says how it reads
(``amount: Money  # entry.amount.cents: int``). For a method, the summary of its own class (the
``__init__`` attributes and the sibling methods) comes first. A name bound to an installed
library (``import inflection`` from the project's virtualenv) shows that library's members that
the function's docstring calls for, as :mod:`codegen_lsp.libraries` chooses them: a small model
does not know every library, and calls members that do not exist. Names from the standard
library and the current file are left out: the model knows the first and the prompt already
shows the second; a name imported from the standard library is not even looked up. Summaries
are added while they fit a token budget, and the lookups stop at a time box; jedi failures are
logged, never raised.
"""

from __future__ import annotations

import ast
import builtins
import logging
import math
import os
import re
import subprocess
import sys
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeGuard

import jedi
from jedi.api.environment import get_cached_default_environment
from parso.python import tree as ptree
from parso.tree import BaseNode, NodeOrLeaf

from codegen_lsp import libraries, newer_syntax, summaries
from codegen_lsp.context import BODY_MARKER, FunctionContext

log = logging.getLogger("codegen_lsp.crossfile")

RELEVANCE_OWN_CLASS = 0
"""A method's own class: the attributes and siblings its body most often uses."""
RELEVANCE_SIGNATURE = 1
"""Names in the parameters' and return annotations, defaults and decorators."""
RELEVANCE_EXAMPLE = 2
"""Names in the code of the docstring's ``>>>`` examples."""
RELEVANCE_BASE = 3
"""A method's class's base classes."""
RELEVANCE_DOCSTRING = 4
"""Words of the docstring that name something the file imports."""
RELEVANCE_PROSE = 5
"""Names the docstring's prose marks as code (``:func:`roundrobin```, ````Pt````) that the file
does not import: found by searching the project (``jedi.Project.search``)."""
RELEVANCE_IMPORTED = 6
"""Every other name the file imports: what the file's code already calls (``with_vat``,
``format_cents``), likely what a new body calls too."""
RELEVANCE_FIELD_TYPE = 7
"""The classes that type the fields of a class shown for the signature, the examples or the
file's imports (``Category`` for ``Item.category: Category``), looked up in that class's file,
and theirs in turn, up to :data:`MAX_FIELD_DEPTH` levels (``Shelf.bins: list[Bin]``, then
``Bin.items: list[Item]``): the model builds and reads such objects, though the current file
may not name the type. Last, so that they never crowd out what the function names itself."""
MAX_FIELD_DEPTH = 3
"""How many levels of field types are followed from a shown class (see
:data:`RELEVANCE_FIELD_TYPE`)."""

CHARS_PER_TOKEN = 4
"""The estimate of a text's tokens is its length over this, rounded up: about four characters
a token is the usual figure for source code under the BPE tokenizers of code models (the Qwen
and StarCoder families included). It errs both ways by a fifth or so, which a budget of
context tolerates; counting with the model's tokenizer would tie this module to the engine."""


PROBE_TIMEOUT_S = 10.0
"""How long the project's interpreter may take to start before the server's is used instead.
Only a hung interpreter reaches it; it is paid once per project (the result is cached)."""

_PROJECT_CACHE_SIZE = 8
_FILE_CACHE_SIZE = 128
_SKIPPED_KINDS = frozenset({"module", "param", "keyword", "path", "namespace"})
_THIRD_PARTY_DIRS = frozenset({"site-packages", "dist-packages"})
_BUILTIN_NAMES = frozenset(dir(builtins))
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
# Code in docstring prose: Sphinx roles (:func:`~pkg.mod.name`), reST literals (``name``) and
# Markdown spans (`name`), with an optional call's parentheses.
_PROSE_CODE = re.compile(
    r":[a-z]+:`~?([A-Za-z_][\w.]*)(?:\(\))?`"
    r"|``([A-Za-z_][\w.]*)(?:\(\))?``"
    r"|(?<!`)`([A-Za-z_][\w.]*)(?:\(\))?`(?!`)"
)
_LITERAL = ("Literal", ".Literal")


@dataclass(frozen=True)
class _Shown:
    """A class's syntax tree, the text it was parsed from, and the method left out of it."""

    node: ast.ClassDef
    source: str
    exclude: str | None = None


@dataclass(frozen=True)
class Definition:
    """One definition from another file of the project, summarised for the prompt."""

    name: str
    """The name as the function uses it, e.g. ``Pt`` or ``geometry.Pt``."""
    module: str
    """Dotted name of the module that defines it, e.g. ``shapes.geometry``."""
    path: str
    """The file that defines it."""
    kind: str
    """``class``, ``function``, ``constant``, or ``library`` (:mod:`codegen_lsp.libraries`)."""
    text: str
    """The summary put in the prompt, starting with a ``# from <module>`` comment line (a
    library's with ``# <module>: installed in the project's environment...``)."""
    relevance: int
    """Lower is more relevant: see the ``RELEVANCE_*`` constants."""
    shown: _Shown | None = field(default=None, compare=False, repr=False)
    """For a class, what its summary was made from, to make it again once the other classes
    shown beside it are known (:func:`_with_nested_readings`)."""


@dataclass
class CrossFileContext:
    """The definitions a function uses from other files, and how they were found."""

    definitions: list[Definition] = field(default_factory=list)
    """In the order they were chosen: most relevant first."""
    tokens: int = 0
    """Estimated tokens of all the texts together (see :data:`CHARS_PER_TOKEN`)."""
    looked_up: list[str] = field(default_factory=list)
    """The names asked of jedi, in order."""
    unresolved: list[str] = field(default_factory=list)
    """Names jedi could not resolve, or resolved outside the project (standard library,
    third-party packages)."""
    timed_out: bool = False
    """True when the time box ended the lookups; what resolved before it is kept."""
    not_tried: list[str] = field(default_factory=list)
    """The names the time box left unasked, in order (empty unless ``timed_out``)."""
    seconds: float = 0.0

    def texts(self) -> list[str]:
        """Return the summaries, most relevant first, for ``FunctionContext.definitions``."""
        return [d.text for d in self.definitions]


def estimate_tokens(text: str) -> int:
    """Return the estimated number of tokens of ``text`` (see :data:`CHARS_PER_TOKEN`)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def cross_file_context(
    source: str,
    path: str,
    ctx: FunctionContext,
    *,
    project_root: str,
    sys_path: Sequence[str] = (),
    interpreter: str | None = None,
    budget_tokens: int = 1024,
    timeout_s: float = 2.0,
    stopping: Callable[[], bool] | None = None,
) -> CrossFileContext:
    """Return summaries of the definitions from other project files that ``ctx`` uses.

    ``source`` is the current text of the file at ``path`` (possibly unsaved), and ``ctx`` the
    function in it, from :func:`codegen_lsp.context.find_function`. ``sys_path`` lists extra
    import directories (a ``src/`` layout's ``src``); ``interpreter`` is the project's Python
    executable or virtual environment, whose ``sys.path`` jedi uses (None: the server's). Only
    definitions under ``project_root`` or ``sys_path`` count, and never from the current file,
    except a method's own class. Summaries are added, most relevant first, while their
    estimated tokens stay within ``budget_tokens``. Lookups stop once ``timeout_s`` has passed
    (checked between names, so one slow lookup can overrun it). Never raises for jedi failures.
    ``stopping`` tells whether the caller is being stopped: an interpreter that fails then (its
    process killed as the editor quits) is neither reported nor remembered as unusable.
    """
    started = time.monotonic()
    deadline = started + timeout_s
    result = CrossFileContext()
    candidates: list[Definition] = []
    keys: set[tuple[str, int]] = set()

    own = _own_class(source, path, ctx, project_root, sys_path)
    if own is not None:
        candidates.append(own[0])
        keys.add(own[1])

    code, lookups = _lookups(source, ctx, (project_root, *sys_path))
    wanted = libraries.words_of(f"{ctx.name} {ctx.docstring or ''}")
    # jedi is not thread-safe: one lookup at a time, and waiting for the lock is part of the
    # time box (a request must not queue behind another for longer than it may take).
    if lookups and not _LOCK.acquire(timeout=max(0.0, deadline - time.monotonic())):
        _stop(result, lookups, "cross-file context timed out waiting for jedi; not tried: %s")
    elif lookups:
        try:
            _resolve_all(
                code,
                path,
                lambda: _project(project_root, interpreter, tuple(sys_path), stopping),
                lookups,
                deadline,
                result,
                candidates,
                keys,
                wanted,
            )
        finally:
            _LOCK.release()

    candidates = _with_nested_readings(candidates)
    for definition in sorted(candidates, key=lambda d: d.relevance):  # stable: found order
        cost = estimate_tokens(definition.text)
        if result.tokens + cost > budget_tokens:
            log.debug("%s (%d tokens) does not fit the budget", definition.name, cost)
            continue
        result.definitions.append(definition)
        result.tokens += cost
    result.seconds = time.monotonic() - started
    return result


def clear_cache() -> None:
    """Forget the cached jedi projects and parsed definition files (tests, settings changes)."""
    with _LOCK:
        _PROJECTS.clear()
        _FILES.clear()
        _LIBRARIES.clear()


# --- Which names to look up ------------------------------------------------------------------


@dataclass(frozen=True)
class _Lookup:
    name: str
    """As written, with the attribute chain that leads to it (``shapes.Pt``)."""
    line: int
    """1-based, in the code given to jedi (the source, then any appended snippets)."""
    column: int
    relevance: int
    search: bool = False
    """Not in the code at all (a name in the docstring's prose): searched for in the project."""


def _lookups(
    source: str, ctx: FunctionContext, roots: Sequence[str] = ()
) -> tuple[str, list[_Lookup]]:
    """Return the code to give jedi and the names to look up in it, most relevant first.

    Names that only exist as text (string annotations, the docstring's examples) are appended
    as module-level code after the source, so that jedi resolves them through the file's own
    imports at known positions.
    """
    module = newer_syntax.parse_module(source)
    func = _find_funcdef(module, ctx)
    code = source if source.endswith("\n") or not source else source + "\n"
    found: list[_Lookup] = []
    snippets: list[tuple[str, int]] = []

    if func is not None:
        annotations = [p.annotation for p in func.get_params() if p.annotation is not None]
        if func.annotation is not None:
            annotations.append(func.annotation)
        defaults = [p.default for p in func.get_params() if p.default is not None]
        for node in [*func.get_decorators(), *annotations, *defaults]:
            found += _names_in(node, RELEVANCE_SIGNATURE)
        for node in annotations:
            snippets += [(ref, RELEVANCE_SIGNATURE) for ref in _forward_references(node)]
    examples = _example_code(ctx.docstring or "")
    if examples:
        snippets.append((examples, RELEVANCE_EXAMPLE))
    for snippet, relevance in snippets:
        # A blank line first: the source may end inside an indented block.
        code += "\n"
        offset = code.count("\n")
        for lookup in _names_in(newer_syntax.parse_module(snippet), relevance):
            found.append(
                _Lookup(lookup.name, lookup.line + offset, lookup.column, lookup.relevance)
            )
        code += snippet.rstrip("\n") + "\n"

    cls = _enclosing_class(func) if func is not None else None
    if cls is not None and ctx.class_header is not None:
        bases = cls.get_super_arglist()
        if bases is not None:
            found += _names_in(bases, RELEVANCE_BASE)

    imported = _imported_names(module)
    for word in dict.fromkeys(_IDENTIFIER.findall(ctx.docstring or "")):
        if word in imported:
            line, column = imported[word]
            found.append(_Lookup(word, line, column, RELEVANCE_DOCSTRING))
    for marked in dict.fromkeys(_prose_code(ctx.docstring or "")):
        if marked not in imported and marked != ctx.name:
            found.append(_Lookup(marked, 0, 0, RELEVANCE_PROSE, search=True))
    for word, (line, column) in imported.items():
        found.append(_Lookup(word, line, column, RELEVANCE_IMPORTED))

    ordered = sorted(found, key=lambda lookup: lookup.relevance)  # stable: in reading order
    # A name the file imports from the standard library is never the project's: asking jedi
    # about `dataclass`, `field`, `datetime` and `enum` took 0.7 to 1 s of a cold lookup.
    seen: set[str] = _standard_library_names(module, roots)
    unique = []
    for lookup in ordered:
        if lookup.name in seen or lookup.name in _BUILTIN_NAMES:
            continue
        seen.add(lookup.name)
        unique.append(lookup)
    return code, unique


def _prose_code(docstring: str) -> list[str]:
    """Return the names the docstring's prose marks as code, last part of a dotted name."""
    names = []
    for match in _PROSE_CODE.finditer(docstring):
        dotted = next(group for group in match.groups() if group)
        names.append(dotted.rsplit(".", 1)[-1])
    return names


def _find_funcdef(module: ptree.Module, ctx: FunctionContext) -> ptree.Function | None:
    stack: list[NodeOrLeaf] = [module]
    while stack:
        node = stack.pop()
        if (
            isinstance(node, ptree.Function)
            and node.start_pos[0] == ctx.def_line + 1
            and node.name.value == ctx.name
        ):
            return node
        if isinstance(node, BaseNode):
            stack.extend(node.children)
    return None


def _enclosing_class(func: ptree.Function) -> ptree.Class | None:
    node = func.parent
    while node is not None:
        if isinstance(node, ptree.Class):
            return node
        if isinstance(node, ptree.Function):
            return None
        node = node.parent
    return None


def _leaves(node: NodeOrLeaf) -> Iterator[NodeOrLeaf]:
    leaf: NodeOrLeaf | None = node.get_first_leaf()
    last = node.get_last_leaf()
    while leaf is not None:
        yield leaf
        if leaf is last:
            return
        leaf = leaf.get_next_leaf()


def _names_in(node: NodeOrLeaf, relevance: int) -> list[_Lookup]:
    """Return the names a piece of code reads, each with its attribute chain."""
    found: list[_Lookup] = []
    chain = ""
    previous: NodeOrLeaf | None = None
    for leaf in _leaves(node):
        if leaf.type == "name":
            value = str(leaf.value)  # type: ignore[attr-defined]
            after_dot = previous is not None and previous.type == "operator" and chain
            chain = f"{chain}.{value}" if after_dot and previous.value == "." else value  # type: ignore[union-attr]
            if not _is_argument_keyword(leaf):
                found.append(_Lookup(chain, leaf.start_pos[0], leaf.start_pos[1], relevance))
        elif not (leaf.type == "operator" and leaf.value == "."):  # type: ignore[attr-defined]
            chain = ""
        previous = leaf
    return found


def _is_argument_keyword(leaf: NodeOrLeaf) -> bool:
    """Tell whether a name is the ``key`` of a ``key=value`` argument (a parameter name)."""
    parent = leaf.parent
    return (
        parent is not None
        and parent.type == "argument"
        and parent.children[0] is leaf
        and len(parent.children) > 1
        and getattr(parent.children[1], "value", None) == "="
    )


def _forward_references(annotation: NodeOrLeaf) -> list[str]:
    """Return the expressions quoted in an annotation (``"Pt"``, ``"list[Pt]"``).

    The values of a ``Literal[...]`` are strings too, but not names.
    """
    found = []
    for leaf in _leaves(annotation):
        if leaf.type != "string" or _in_literal(leaf, annotation):
            continue
        try:
            value = ast.literal_eval(leaf.get_code(include_prefix=False))
            if isinstance(value, str):
                compile(value.strip(), "<annotation>", "eval")
                found.append(value.strip())
        except (ValueError, SyntaxError):
            continue
    return found


def _in_literal(leaf: NodeOrLeaf, top: NodeOrLeaf) -> bool:
    node = leaf.parent
    while node is not None and node is not top.parent:
        if node.type == "trailer" and node.children[0].get_code(include_prefix=False) == "[":
            before = node.get_previous_sibling()  # `Literal`, or `.Literal` of `typing.Literal`
            if before is not None and before.get_code(include_prefix=False) in _LITERAL:
                return True
        node = node.parent
    return False


def _example_code(docstring: str) -> str:
    """Return the code of the docstring's ``>>>`` examples, dedented, one block."""
    lines: list[str] = []
    for line in docstring.splitlines():
        stripped = line.strip()
        if stripped.startswith(">>>"):
            lines.append(stripped[4:] if stripped.startswith(">>> ") else stripped[3:])
        elif stripped.startswith("...") and lines:
            # A continuation keeps its indentation after the prompt ("...     return x").
            text = line.lstrip()
            lines.append(text[4:] if text.startswith("... ") else text[3:])
    return "\n".join(lines)


def _imported_names(module: ptree.Module) -> dict[str, tuple[int, int]]:
    """Map each name the module's imports bind to its position in the import statement."""
    names: dict[str, tuple[int, int]] = {}
    for imp in module.iter_imports():
        try:
            defined = imp.get_defined_names()
        except Exception:  # parso trips on some broken imports; they bind nothing useful
            log.debug("unreadable import %r", imp.get_code(), exc_info=True)
            continue
        for name in defined:
            names.setdefault(name.value, name.start_pos)
    return names


def _standard_library_names(module: ptree.Module, roots: Sequence[str]) -> set[str]:
    """Return the names the module binds by absolute imports from the standard library.

    Not those of a standard module's name that a project folder in ``roots`` also holds (a
    project's own ``calendar/`` shadows the standard one on its ``sys.path``).
    """
    bound: list[tuple[str, str]] = []  # (the module's top-level name, the name bound)
    for imp in module.iter_imports():
        try:
            if isinstance(imp, ptree.ImportFrom):
                if imp.level:
                    continue
                top = imp.get_from_names()[0].value
                bound += [(top, n.value) for n in imp.get_defined_names()]
            else:
                bound += [
                    (path[0].value, n.value)
                    for n, path in zip(imp.get_defined_names(), imp.get_paths(), strict=True)
                ]
        except Exception:  # an import parso cannot read binds nothing to skip
            continue
    return _from_standard_modules(bound, roots)


def _standard_library_names_in(tree: ast.Module, roots: Sequence[str]) -> set[str]:
    """Return what :func:`_standard_library_names` returns, for a parsed definition file."""
    bound: list[tuple[str, str]] = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and not node.level and node.module:
            top = node.module.split(".")[0]
            bound += [(top, alias.asname or alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            bound += [
                (alias.name.split(".")[0], alias.asname or alias.name.split(".")[0])
                for alias in node.names
            ]
    return _from_standard_modules(bound, roots)


def _from_standard_modules(bound: list[tuple[str, str]], roots: Sequence[str]) -> set[str]:
    return {
        name for top, name in bound if top in sys.stdlib_module_names and not _shadowed(top, roots)
    }


def _shadowed(module: str, roots: Sequence[str]) -> bool:
    """Tell whether a project folder holds a module or package of this name."""
    return any(
        os.path.exists(os.path.join(root, module + ".py"))
        or os.path.isdir(os.path.join(root, module))
        for root in roots
    )


def _names(lookups: Sequence[_Lookup]) -> str:
    return ", ".join(lookup.name for lookup in lookups) or "(none)"


def _stop(
    result: CrossFileContext,
    left: Sequence[_Lookup],
    message: str = "cross-file context timed out; not tried: %s",
) -> None:
    """Record that the time box ended the lookups with ``left`` unasked, and log it."""
    result.timed_out = True
    fresh = [lookup.name for lookup in left if lookup.name not in result.not_tried]
    result.not_tried += fresh
    log.info(message, _names(left))


# --- Resolving them with jedi ----------------------------------------------------------------


@dataclass
class _Project:
    project: Any
    """The jedi.Project."""
    environment: Any
    """The jedi environment: the project's interpreter, or jedi's default."""
    roots: tuple[str, ...]
    """The project root and extra import directories, resolved: definitions must be in one."""
    excluded: tuple[str, ...]
    """The interpreter's prefix: its files are libraries, even inside the project root."""


_LOCK = threading.Lock()
_PROJECTS: OrderedDict[tuple[str, str | None, tuple[str, ...]], _Project] = OrderedDict()
_FILES: OrderedDict[str, tuple[tuple[int, int], ast.Module | None, str]] = OrderedDict()
_LIBRARIES: OrderedDict[tuple[str, str], list[Any]] = OrderedDict()
"""Per interpreter and library module: jedi's completions of its public names."""
_LARGE_LIBRARY = 2 * libraries.LISTED_MEMBERS
"""A module with more public names than this (constants and submodules too) is large."""
_LARGE_PACKAGE_FILES = 12
"""A package with more Python files than this is large without reading it."""


def _project(
    root: str,
    interpreter: str | None,
    sys_path: tuple[str, ...],
    stopping: Callable[[], bool] | None = None,
) -> _Project:
    """Return the cached jedi project for these settings (call with ``_LOCK`` held).

    Starting the interpreter's jedi subprocess and reading its ``sys.path`` is what makes a
    first request slow; later ones reuse it. An interpreter that cannot be used is reported
    once, with a warning, and the server's Python stands in for it from then on.
    """
    key = (_real(root), interpreter, tuple(_real(p) for p in sys_path))
    cached = _PROJECTS.get(key)
    if cached is not None:
        _PROJECTS.move_to_end(key)
        return cached
    environment = None
    remember = True
    if interpreter is not None:
        try:
            _probe(interpreter)
            environment = jedi.create_environment(interpreter, safe=False)
        except Exception as exc:  # jedi's InvalidPythonEnvironment, an OS error, a timeout
            if stopping is not None and stopping():
                log.info("stopped while starting the interpreter %s (%s)", interpreter, exc)
                remember = False
            else:
                log.warning(
                    "cannot use the project's interpreter %s (%s); resolving names with the "
                    "server's Python instead",
                    interpreter,
                    exc,
                )
    if environment is None:
        environment = get_cached_default_environment()
    project = jedi.Project(
        key[0],
        environment_path=environment.executable,
        added_sys_path=list(key[2]),
        smart_sys_path=True,
    )
    prefix = getattr(environment, "path", None)
    excluded = (_real(prefix),) if prefix and _real(prefix) not in key[:1] else ()
    built = _Project(project, environment, (key[0], *key[2]), excluded)
    if not remember:
        return built
    _PROJECTS[key] = built
    while len(_PROJECTS) > _PROJECT_CACHE_SIZE:
        _PROJECTS.popitem(last=False)
    return built


def _probe(interpreter: str) -> None:
    """Raise unless the interpreter starts and exits within :data:`PROBE_TIMEOUT_S`.

    jedi waits for its interpreter without a limit, under the lock every request needs: a
    wrapper script that hangs would hang them all.
    """
    executable = interpreter
    if os.path.isdir(interpreter):
        found = [
            p
            for p in (
                os.path.join(interpreter, "bin", "python"),
                os.path.join(interpreter, "Scripts", "python.exe"),
            )
            if os.path.exists(p)
        ]
        if not found:
            return  # jedi says why
        executable = found[0]
    subprocess.run(
        [executable, "-c", "pass"],
        stdin=subprocess.DEVNULL,
        # No pipes: a child the interpreter leaves behind would hold them open past the kill.
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=PROBE_TIMEOUT_S,
        check=True,
    )


def _resolve_all(
    code: str,
    path: str,
    project_for: Callable[[], _Project],
    lookups: list[_Lookup],
    deadline: float,
    result: CrossFileContext,
    candidates: list[Definition],
    keys: set[tuple[str, int]],
    wanted: frozenset[str] = frozenset(),
) -> None:
    """Resolve each lookup in turn until the deadline, adding summaries to ``candidates``.

    A name bound to an installed library's module or member is shown as
    :mod:`codegen_lsp.libraries` writes it, its members chosen by ``wanted``.
    """
    current = _real(path)
    project: _Project | None = None
    script = None
    shown: list[tuple[str, int]] = []  # classes whose fields' types are looked up next
    for index, lookup in enumerate(lookups):
        if time.monotonic() >= deadline:
            _stop(result, lookups[index:])
            return
        if project is None:
            try:
                project = project_for()
            except Exception:  # no environment at all: nothing to resolve with
                log.warning("jedi cannot start for %s", path, exc_info=True)
                return
        result.looked_up.append(lookup.name)
        try:
            if script is None:
                script = jedi.Script(
                    code=code,
                    path=path,
                    project=project.project,
                    environment=project.environment,
                )
            if lookup.search:
                found = _search(project, lookup, current)
            else:
                found = _resolve(script, lookup, current, project, wanted)
        except Exception:
            # One failing name (a jedi bug, a dead subprocess) costs only that name.
            log.debug("jedi failed on %s", lookup.name, exc_info=True)
            continue
        added = _keep(lookup.name, found, result, candidates, keys)
        if added and found and found[0].kind == "class" and lookup.relevance <= RELEVANCE_IMPORTED:
            shown.append(found[1])
    if project is not None:
        _resolve_field_types(shown, current, project, deadline, result, candidates, keys)


def _resolve_field_types(
    shown: list[tuple[str, int]],
    current: str,
    project: _Project,
    deadline: float,
    result: CrossFileContext,
    candidates: list[Definition],
    keys: set[tuple[str, int]],
) -> None:
    """Look up the names in the field annotations of the ``shown`` classes, in their files.

    Breadth first: the field types of every shown class, then theirs, down to
    :data:`MAX_FIELD_DEPTH` levels, so that the budget and the time box cut the deepest first.
    """
    waiting = deque((path, line, 1) for path, line in shown)
    while waiting:
        path, line, depth = waiting.popleft()
        field_lookups = _field_type_lookups(path, line, project.roots)
        script = None
        for index, lookup in enumerate(field_lookups):
            if time.monotonic() >= deadline:
                _stop(result, field_lookups[index:])
                return
            result.looked_up.append(lookup.name)
            try:
                if script is None:
                    script = jedi.Script(
                        path=path, project=project.project, environment=project.environment
                    )
                found = _resolve(script, lookup, current, project)
            except Exception:
                log.debug("jedi failed on %s in %s", lookup.name, path, exc_info=True)
                continue
            added = _keep(lookup.name, found, result, candidates, keys)
            if added and found and found[0].kind == "class" and depth < MAX_FIELD_DEPTH:
                waiting.append((*found[1], depth + 1))


def _with_nested_readings(candidates: list[Definition]) -> list[Definition]:
    """Return the definitions with each class's fields typed by another of them read out.

    ``amount: Money`` in ``Entry`` becomes ``amount: Money  # entry.amount.cents: int, ...``
    when ``Money`` is among the classes found (:func:`summaries.nested_reading`): the class's
    own summary is made before the classes its fields name are looked up.
    """
    fields_of = {
        d.shown.node.name: fields
        for d in candidates
        if d.shown is not None and (fields := summaries.readable_fields(d.shown.node))
    }
    if not fields_of:
        return candidates
    keyed = frozenset(
        d.shown.node.name
        for d in candidates
        if d.shown is not None and summaries.is_typed_dict(d.shown.node)
    )
    again = []
    for definition in candidates:
        shown = definition.shown
        if shown is not None:
            text = _summary(
                shown.node, shown.source, definition.module, shown.exclude, fields_of, keyed
            )
            definition = replace(definition, text=text)
        again.append(definition)
    return again


def _keep(
    name: str,
    found: tuple[Definition, tuple[str, int]] | tuple[()] | None,
    result: CrossFileContext,
    candidates: list[Definition],
    keys: set[tuple[str, int]],
) -> bool:
    """Keep what looking ``name`` up found; return whether it added a new definition."""
    if found is None:
        result.unresolved.append(name)
        return False
    if not found or found[1] in keys:
        return False
    keys.add(found[1])
    candidates.append(found[0])
    return True


def _field_type_lookups(path: str, line: int, roots: Sequence[str] = ()) -> list[_Lookup]:
    """Return the names in the annotations of the fields of the class at ``path``:``line``.

    Not those the file imports from the standard library (``datetime`` of ``datetime.date``).
    """
    tree, _ = _parsed(path)
    if tree is None:
        return []
    node = next(
        (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.lineno == line), None
    )
    if node is None:
        return []
    found: dict[str, _Lookup] = {}
    standard = _standard_library_names_in(tree, roots)
    for annotation in _field_annotations(node):
        for name in ast.walk(annotation):
            if (
                isinstance(name, ast.Name)
                and name.id not in _BUILTIN_NAMES
                and name.id not in standard
            ):
                found.setdefault(
                    name.id, _Lookup(name.id, name.lineno, name.col_offset, RELEVANCE_FIELD_TYPE)
                )
    return list(found.values())


def _field_annotations(node: ast.ClassDef) -> Iterator[ast.expr]:
    """Yield what types a class's fields, in source order.

    A dataclass or a typed class says it at class level (``category: Category``); a plain class
    says it in ``__init__``: its parameters' annotations and ``self.x: T`` assignments; and an
    object filled after it is built says it in its filling methods' parameters
    (``Order.add(self, wanted: dict[str, int], stock: list[Item]) -> None``): a test fills one
    through them, with ``Item(...)`` calls the model must know the fields of.
    """
    for statement in node.body:
        if isinstance(statement, ast.AnnAssign):
            yield statement.annotation
        elif isinstance(statement, ast.FunctionDef) and statement.name == "__init__":
            arguments = statement.args
            for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
                if argument.annotation is not None:
                    yield argument.annotation
            for inner in ast.walk(statement):
                if isinstance(inner, ast.AnnAssign) and isinstance(inner.target, ast.Attribute):
                    yield inner.annotation
    for statement in node.body:
        if _fills_state(statement):
            for argument in statement.args.args[1:]:
                if argument.annotation is not None:
                    yield argument.annotation


def _fills_state(statement: ast.stmt) -> TypeGuard[ast.FunctionDef]:
    """Tell a public, undecorated method annotated ``-> None``: one that fills its object."""
    return (
        isinstance(statement, ast.FunctionDef)
        and not statement.name.startswith("_")
        and not statement.decorator_list
        and isinstance(statement.returns, ast.Constant)
        and statement.returns.value is None
    )


def _resolve(
    script: Any,
    lookup: _Lookup,
    current: str,
    project: _Project,
    wanted: frozenset[str] | None = None,
) -> tuple[Definition, tuple[str, int]] | tuple[()] | None:
    """Return a lookup's definition and its key, () when it is not shown, None when missed.

    Not shown: the current file's names (the prompt has them), the project's modules and
    parameters. Missed: nothing found, or only names outside the project; with ``wanted``, a
    name an installed library binds is shown as :func:`_library` writes it instead.
    """
    went = script.goto(lookup.line, lookup.column, follow_imports=True)
    names = went
    if not names or all(_confused(name) for name in names):
        names = script.infer(lookup.line, lookup.column) or names
    missed = True
    for name in names:
        where = _where(name, current, project)
        if where == "":
            where = _project_copy(name, project)
        if where == "":
            continue
        missed = False
        if where is None:
            continue
        found = _definition(lookup, name, where)
        if found is not None:
            return found
    if missed and wanted is not None:
        return _library(went, lookup, project, wanted)
    return None if missed else ()


def _library(
    names: list[Any], lookup: _Lookup, project: _Project, wanted: frozenset[str]
) -> tuple[Definition, tuple[str, int]] | None:
    """Return what a name bound to an installed library shows, or None when nothing.

    ``import inflection`` binds a module: its members are chosen by ``wanted``
    (:func:`codegen_lsp.libraries.module_text`). ``from inflection import parameterize`` binds
    a member: its signature and first sentence. A library is what an interpreter installs
    (``site-packages``): the standard library is never looked up, the project is shown whole.
    """
    for name in names:  # what goto found: an import's target, not what infer makes of it
        if name.in_builtin_module() or name.module_path is None:
            continue
        where = _real(str(name.module_path))
        if not _THIRD_PARTY_DIRS.intersection(where.split(os.sep)):
            continue
        module = str(name.module_name or "")
        if name.type == "module" and "." not in lookup.name and not _confused(name):
            members = _library_members(project, module, where)
            text = libraries.module_text(module, lookup.name, members, wanted) if members else ""
            key = (where, 0)
        elif name.type in ("function", "class") and lookup.name == name.name:
            member = _member(name)
            relevant = libraries.relevance(member, wanted) >= libraries.MIN_RELEVANCE
            text = libraries.members_text(module, [member]) if relevant else ""
            key = (where, name.line or 0)
        else:
            continue
        if not text:
            return None  # unresolved, as before: outside the project, and nothing to show
        return Definition(lookup.name, module, where, "library", text, lookup.relevance), key
    return None


def _library_members(project: _Project, module: str, path: str) -> list[libraries.Member]:
    """Return a small library module's public functions and classes ([] for a large one).

    Call with ``_LOCK`` held. A large library (numpy, pandas) is one the model knows, and
    reading it costs what the time box cannot pay: telling numpy's 542 names' functions from its
    constants takes jedi 4 s. A package of many files is large unread; otherwise a module with
    more than :data:`_LARGE_LIBRARY` public names (more_itertools' 184) is, once read.
    """
    key = (str(project.environment.executable), module)
    completions = _LIBRARIES.get(key)
    if completions is None:
        if _files_beyond(os.path.dirname(path), _LARGE_PACKAGE_FILES):
            completions = []
        else:
            script = jedi.Script(
                code=f"import {module}\n{module}.",
                project=project.project,
                environment=project.environment,
            )
            completions = [c for c in script.complete(2, len(module) + 1) if c.name[:1] != "_"]
            if len(completions) > _LARGE_LIBRARY:
                completions = []
        _LIBRARIES[key] = completions
        while len(_LIBRARIES) > _FILE_CACHE_SIZE:
            _LIBRARIES.popitem(last=False)
    return [_member(c) for c in completions if c.type in ("function", "class")]


def _files_beyond(folder: str, limit: int) -> bool:
    """Tell whether a package folder holds more than ``limit`` Python files, counting to it."""
    count = 0
    for _, _, files in os.walk(folder):
        count += sum(name.endswith(".py") for name in files)
        if count > limit:
            return True
    return False


def _member(name: Any) -> libraries.Member:
    """Return a library member as jedi names it: its signature and first docstring sentence."""
    signatures = name.get_signatures()
    signature = signatures[0].to_string() if signatures else str(name.name)
    return libraries.Member(
        str(name.name), str(name.type), signature, libraries.summary_line(name.docstring(raw=True))
    )


def _search(
    project: _Project, lookup: _Lookup, current: str
) -> tuple[Definition, tuple[str, int]] | tuple[()] | None:
    """Find a top-level definition named ``lookup.name`` anywhere in the project (as _resolve)."""
    missed = True
    for name in project.project.search(lookup.name, all_scopes=False):
        if name.name != lookup.name or name.type not in ("class", "function", "statement"):
            continue
        where = _where(name, current, project)
        if where == "":
            continue
        missed = False
        if where is None:
            continue
        found = _definition(lookup, name, where)
        if found is not None:
            return found
    return None if missed else ()


def _confused(name: Any) -> bool:
    """Tell whether goto answered "module" for a name defined inside one.

    It does for names a package re-exports from an extension module (``numpy.ndarray``);
    inference finds the class there.
    """
    return name.type == "module" and (name.line or 0) > 1


def _where(name: Any, current: str, project: _Project) -> str | None:
    """Return the file of a jedi name if it is in the project, "" if outside, None to skip.

    Skipped: the current file's names (the prompt shows them already), and modules and
    parameters of the project (no definition to summarise).
    """
    if name.in_builtin_module() or name.module_path is None:
        return ""
    where = _real(str(name.module_path))
    if where == current:
        return None
    if _THIRD_PARTY_DIRS.intersection(where.split(os.sep)):
        return ""
    if any(_under(where, prefix) for prefix in project.excluded):
        return ""
    if not any(_under(where, root) for root in project.roots):
        return ""
    return None if name.type in _SKIPPED_KINDS else where


def _project_copy(name: Any, project: _Project) -> str:
    """Return the project's own file of a module jedi found outside the project, or "".

    The environment may import the project's package from another checkout (an editable
    install made there): jedi then finds ``tally.kinds`` in that copy, outside the project,
    and nothing was shown (a user's every sample then guessed ``entry.amount``), though the
    sandbox imports the project's own copy, whose folders come first on its ``sys.path``.
    """
    module = name.module_name or ""
    if not module or name.in_builtin_module() or name.module_path is None:
        return ""
    where = _real(str(name.module_path))
    if _THIRD_PARTY_DIRS.intersection(where.split(os.sep)):
        return ""
    relative = Path(*module.split("."))
    for root in project.roots:
        for candidate in (
            Path(root) / relative.with_suffix(".py"),
            Path(root) / relative / "__init__.py",
        ):
            if candidate.is_file() and not any(_under(str(candidate), p) for p in project.excluded):
                return _real(str(candidate))
    return ""


def _definition(lookup: _Lookup, name: Any, path: str) -> tuple[Definition, tuple[str, int]] | None:
    tree, source = _parsed(path)
    if tree is None:
        return None
    found = _find_node(tree, name.line, name.name)
    if found is None and _real(str(name.module_path or "")) != path:
        found = _find_node(tree, None, name.name)  # the project's copy: its lines may differ
    if found is None:
        log.debug("no definition of %s at %s:%s", name.name, path, name.line)
        return None
    node, kind = found
    module = name.module_name or _module_name(path)
    text = _summary(node, source, module)
    shown = _Shown(node, source) if isinstance(node, ast.ClassDef) else None
    definition = Definition(lookup.name, module, path, kind, text, lookup.relevance, shown)
    return definition, (path, node.lineno)


def _parsed(path: str) -> tuple[ast.Module | None, str]:
    """Return a definition file's syntax tree and text, cached while the file is unchanged."""
    try:
        stat = os.stat(path)
    except OSError:
        return None, ""
    version = (stat.st_mtime_ns, stat.st_size)
    cached = _FILES.get(path)
    if cached is not None and cached[0] == version:
        _FILES.move_to_end(path)
        return cached[1], cached[2]
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            source = file.read()
        # A module written for a newer Python (`type Unit = ...`) is read as rewritten.
        parsed, source = newer_syntax.parse_text(source)
        tree: ast.Module | None = parsed
    except (OSError, SyntaxError, ValueError):
        log.debug("cannot read %s", path, exc_info=True)
        source, tree = "", None
    _FILES[path] = (version, tree, source)
    while len(_FILES) > _FILE_CACHE_SIZE:
        _FILES.popitem(last=False)
    return tree, source


# --- Summaries -------------------------------------------------------------------------------


_Def = ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef


def _find_node(tree: ast.Module, line: int | None, name: str) -> tuple[ast.stmt, str] | None:
    """Find the statement defining ``name`` at ``line``, as the summary should show it.

    ``line`` None: the first one at the module's top level, wherever it is.

    A method, class attribute or nested class is shown through its innermost class (the
    model needs the class around it), and a name local to a function is not shown at all.
    """
    stack: list[tuple[ast.AST, list[ast.AST]]] = [(tree, [])]
    while stack:
        node, parents = stack.pop()
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, ast.stmt | ast.excepthandler):
                continue
            if line is None and node is not tree:
                continue
            if isinstance(child, ast.stmt) and _defines(child, line, name):
                return _shown(child, [*parents, node])
            stack.append((child, [*parents, node]))
    return None


def _defines(node: ast.AST, line: int | None, name: str) -> bool:
    if isinstance(node, _Def):
        return node.name == name and line in (None, node.lineno)
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(
            isinstance(n, ast.Name) and n.id == name and line in (None, n.lineno)
            for target in targets
            for n in ast.walk(target)
        )
    return False


def _shown(node: ast.stmt, parents: list[ast.AST]) -> tuple[ast.stmt, str] | None:
    for parent in reversed(parents):
        if isinstance(parent, ast.ClassDef):
            return parent, "class"
        if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef):
            return None
    if isinstance(node, ast.ClassDef):
        return node, "class"
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return node, "function"
    return node, "constant"


def _summary(
    node: ast.stmt,
    source: str,
    module: str,
    exclude: str | None = None,
    fields_of: Mapping[str, list[tuple[str, str]]] | None = None,
    keyed: frozenset[str] = frozenset(),
) -> str:
    lines = [f"{summaries.FROM_HEADER}{module}"]
    if isinstance(node, ast.ClassDef):
        lines += summaries.class_lines(node, source, exclude, fields_of, keyed)
    elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        lines += summaries.function_lines(node)
    else:
        text = summaries.statement_text(node, source)
        reading = summaries.literal_reading(node)
        lines.append(f"{text}  {reading}" if reading is not None and "#" not in text else text)
    return "\n".join(lines)


# --- A method's own class --------------------------------------------------------------------


def _own_class(
    source: str, path: str, ctx: FunctionContext, root: str, sys_path: Sequence[str]
) -> tuple[Definition, tuple[str, int]] | None:
    """Summarise the class of a method (its ``__init__`` attributes, its other methods)."""
    if ctx.class_header is None:
        return None
    chain = ctx.qualified_name.split(".")[:-1]
    stubbed = ""
    if ctx.module_source:
        # The runnable module context.py builds: the file without the statements that do
        # not compile, this method's body a placeholder; for a file being edited.
        stubbed = ctx.module_source.replace(BODY_MARKER, f"{ctx.body_indent}...", 1)
    for original in (source, stubbed):
        try:
            tree, text = newer_syntax.parse_text(original)
        except (SyntaxError, ValueError):
            continue
        node = _class_at(tree, chain)
        if node is None:
            continue
        module = _module_name(path, (root, *sys_path))
        summary = _summary(node, text, module, exclude=ctx.name)
        shown = _Shown(node, text, ctx.name)
        definition = Definition(
            chain[-1], module, path, "class", summary, RELEVANCE_OWN_CLASS, shown
        )
        return definition, (_real(path), node.lineno)
    log.debug("cannot read the class of %s", ctx.qualified_name)
    return None


def _class_at(tree: ast.Module, chain: list[str]) -> ast.ClassDef | None:
    """Follow ``Outer.Inner`` (classes and functions) down from the module to a class."""
    node: ast.AST = tree
    for name in chain:
        body = getattr(node, "body", [])
        found = [n for n in body if isinstance(n, _Def) and n.name == name]
        if not found:
            return None
        node = found[-1]  # the definition in force is the last one
    return node if isinstance(node, ast.ClassDef) else None


# --- Paths ---------------------------------------------------------------------------------


def _real(path: str) -> str:
    return os.path.realpath(os.path.abspath(path))


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _module_name(path: str, roots: Sequence[str] = ()) -> str:
    """Return the dotted module name of a file, relative to the deepest root holding it."""
    real = _real(path)
    holding = [r for r in map(_real, roots) if _under(real, r)]
    relative = os.path.relpath(real, max(holding, key=len)) if holding else os.path.basename(real)
    parts = os.path.splitext(relative)[0].split(os.sep)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)
