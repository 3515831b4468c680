"""Short summaries of Python definitions for a prompt: a class's fields and method signatures.

A model that is to use a class needs its field names, an Enum's members and its methods'
signatures, not their bodies: ``Item`` as ``sku: str``, ``unit_price_cents: int``, ``qty: int =
1``. The definitions from other files (:mod:`codegen_lsp.crossfile`) and the classes of the
function's own file (:mod:`codegen_lsp.context`) are both summarised here, from the standard
library's ``ast``, so that a class reads the same wherever it is defined.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from collections.abc import Mapping

MAX_DOCSTRING_LINES = 15
"""A function's docstring is cut after this many lines."""
MAX_CLASS_MEMBERS = 60
"""A class summary lists at most this many fields, attributes and method signatures."""
MAX_LINE_CHARS = 160
"""A field's or constant's line is cut after this many characters."""

ENUM_BASES = frozenset({"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"})
"""Bases that make a class an Enum (as written, or as the last part of ``enum.Enum``)."""

_INDENT = "    "
Definition = ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef


def header(node: Definition) -> str:
    """Return ``class X(bases):`` or the ``def`` line, without decorators or body."""
    bare = copy.copy(node)
    bare.decorator_list = []
    bare.body = [ast.Expr(ast.Constant(...))]
    return ast.unparse(bare).split("\n")[0]


def decorators(node: Definition) -> list[str]:
    """Return the decorators as written, each with its ``@``."""
    return [f"@{ast.unparse(d)}" for d in node.decorator_list]


def _docstring_lines(doc: str, indent: str) -> list[str]:
    doc = doc.replace('"""', r"\"\"\"")
    lines = doc.splitlines() or [""]
    if len(lines) == 1:
        return [f'{indent}"""{lines[0]}"""']
    return [
        f'{indent}"""{lines[0]}',
        *[f"{indent}{line}".rstrip() for line in lines[1:]],
        f'{indent}"""',
    ]


def function_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """Return a function as its signature and docstring (cut), with ``...`` for a body."""
    lines = [*decorators(node), header(node)]
    doc = ast.get_docstring(node)
    if doc:
        doc_lines = doc.splitlines()
        if len(doc_lines) > MAX_DOCSTRING_LINES:
            doc_lines = [*doc_lines[:MAX_DOCSTRING_LINES], "..."]
        lines += _docstring_lines("\n".join(doc_lines), _INDENT)
    lines.append(f"{_INDENT}...")
    return lines


def class_lines(
    node: ast.ClassDef,
    source: str,
    exclude: str | None,
    fields_of: Mapping[str, list[tuple[str, str]]] | None = None,
    keyed: frozenset[str] = frozenset(),
) -> list[str]:
    """Return a class as its fields, members, ``__init__`` attributes and method signatures.

    ``source`` is the text ``node`` was parsed from (fields keep their comments); the method
    named ``exclude`` (the one being written) is left out. ``fields_of`` maps other classes
    shown beside this one to their fields (:func:`readable_fields`): a field typed by one of
    them says how it reads (:func:`nested_reading`); ``keyed`` names those of them that are
    TypedDicts, read by key.
    """
    lines = [*decorators(node), header(node)]
    doc = ast.get_docstring(node)
    if doc:
        lines += _docstring_lines(doc.split("\n\n")[0], _INDENT)
    members: list[str] = []
    body = node.body[1:] if doc else node.body
    typed = _typed_attributes(node)
    after_fields = 0  # where an Enum's reading goes: after its members
    for stmt in body:
        if isinstance(stmt, ast.Assign | ast.AnnAssign):
            text = statement_text(stmt, source)
            reading = nested_reading(node, stmt, fields_of or {}, keyed)
            if reading is not None and "#" not in text:
                text = f"{text}  {reading}"
            members.append(_INDENT + text)
            after_fields = len(members)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            if stmt.name == exclude:
                continue
            members += [_INDENT + d for d in decorators(stmt)]
            attributes = self_attributes(stmt)
            written = state_writes(stmt, typed)
            if attributes or written:
                members.append(_INDENT + header(stmt))
                members += [_INDENT * 2 + a for a in attributes or written]
            else:
                members.append(f"{_INDENT}{header(stmt)} ...")
        elif isinstance(stmt, ast.ClassDef):
            members.append(f"{_INDENT}{header(stmt)} ...")
    reading = enum_reading(node) or typed_dict_reading(node)
    if reading is not None:
        members.insert(after_fields, _INDENT + reading)
    if len(members) > MAX_CLASS_MEMBERS:
        left = len(members) - MAX_CLASS_MEMBERS
        members = [*members[:MAX_CLASS_MEMBERS], f"{_INDENT}# ... {left} more lines"]
    if not members and not doc:
        members.append(f"{_INDENT}...")
    return lines + members


def base_names(node: ast.ClassDef) -> set[str]:
    """Return a class's bases as their last names (``enum.Enum`` as ``Enum``)."""
    names = set()
    for base in node.bases:
        if isinstance(base, ast.Name):
            names.add(base.id)
        elif isinstance(base, ast.Attribute):
            names.add(base.attr)
    return names


def is_enum(node: ast.ClassDef) -> bool:
    """Tell a class one of whose bases is an Enum (``Enum``, ``enum.IntEnum``...)."""
    return bool(base_names(node) & ENUM_BASES)


LITERAL_BASES = frozenset(
    {"int", "str", "float", "bytes", "dict", "list", "tuple", "set", "frozenset", "TypedDict"}
    | {"NamedTuple", "IntEnum", "StrEnum", "IntFlag", "Protocol", "UserDict", "UserList"}
    | {"UserString", "Decimal", "Fraction", "Path", "PurePath"}
)
"""Bases whose subclasses a literal may stand for: ``class Cents(int)``, a TypedDict (a dict), a
NamedTuple (a tuple), an ``IntEnum`` (compared with ints), a Protocol (anything that fits)."""


def takes_no_literal(node: ast.ClassDef) -> bool:
    """Tell a class no literal stands for: a dataclass, an attrs class, an Enum, a plain class.

    A model proposed ``split_evenly(123456, 3)`` for ``split_evenly(total: Money, parts:
    int)``: every candidate raised ``AttributeError: 'int' object has no attribute 'cents'``,
    the input's fault, and the title blamed the code.
    """
    return not base_names(node) & LITERAL_BASES


def is_typed_dict(node: ast.ClassDef) -> bool:
    """Tell a ``TypedDict`` (``class Entry(TypedDict)``): at run time its values are dicts."""
    return "TypedDict" in base_names(node)


_GENERIC_HEADS = frozenset(
    {"Literal", "Union", "Optional", "Annotated", "list", "List", "dict", "Dict", "tuple"}
    | {"Tuple", "set", "Set", "frozenset", "FrozenSet", "Sequence", "Mapping", "Iterable"}
)
"""What an alias's right-hand side starts with for a plain ``X = ...`` to count as one."""


def _type_var_values(call: ast.Call) -> ast.expr:
    """Return what a ``TypeVar`` allows: its bound, its constraints as a union, else anything."""
    bound = next((k.value for k in call.keywords if k.arg == "bound"), None)
    if bound is not None:
        return bound
    constraints = call.args[1:]
    if constraints:
        union = constraints[0]
        for constraint in constraints[1:]:
            union = ast.BinOp(left=union, op=ast.BitOr(), right=constraint)
        return union
    return ast.Name(id="object", ctx=ast.Load())


def type_alias(node: ast.stmt) -> tuple[str, ast.expr] | None:
    """Return (name, type) for a statement that defines a type alias, else None.

    ``Kind = Literal["debit", "credit"]`` (a plain assignment whose value is a generic type or a
    ``|`` of types), ``Kind: TypeAlias = ...``, ``UserId = NewType("UserId", int)`` (its base:
    a NewType is its base at run time) and ``T = TypeVar("T", bound=Item)`` (its bound, its
    constraints as a union, or ``object``). What the inputs draw for the name and what the
    prompt says of it (:func:`literal_reading`) both read the statement here.
    """
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        if node.value is not None and ast.unparse(node.annotation).endswith("TypeAlias"):
            return node.target.id, node.value
        return None
    if not (
        isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
    ):
        return None
    name, value = node.targets[0].id, node.value
    if isinstance(value, ast.Call) and ast.unparse(value.func).endswith("NewType"):
        return (name, value.args[1]) if len(value.args) == 2 else None
    if isinstance(value, ast.Call) and ast.unparse(value.func).endswith("TypeVar"):
        return name, _type_var_values(value)
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.BitOr):
        return name, value
    if isinstance(value, ast.Subscript):
        head = value.value
        spelled = head.attr if isinstance(head, ast.Attribute) else ast.unparse(head)
        if spelled in _GENERIC_HEADS:
            return name, value
    return None


def literal_reading(node: ast.stmt) -> str | None:
    """Return a comment that shows how a ``Literal`` alias's values compare, else None.

    ``Kind = Literal["debit", "credit"]  # kind == "debit"``: shown the alias alone, the default
    model writes ``Kind.debit`` (an AttributeError) in 6 of 16 distinct samples of a ledger's
    ``signed`` and ``total`` that name a kind (seeds 1-2), and the plain string in 4; with this
    comment, in 2 and 8 (``# a Kind is a plain str: "debit" or "credit"``: 4 and 5).
    """
    alias = type_alias(node)
    if alias is None:
        return None
    name, value = alias
    if not (
        isinstance(value, ast.Subscript)
        and ast.unparse(value.value) in ("Literal", "typing.Literal", "t.Literal")
    ):
        return None
    first = value.slice.elts[0] if isinstance(value.slice, ast.Tuple) else value.slice
    if not isinstance(first, ast.Constant) or type(first.value) not in (str, int):
        return None
    shown = json.dumps(first.value)  # as the experiment showed it: "debit"
    return f"# {snake_case(name)} == {shown}"


SHOWN_KEYS = 3
"""A TypedDict's reading shows this many of its keys."""


def typed_dict_reading(node: ast.ClassDef) -> str | None:
    """Return a comment that says a TypedDict's values are dicts, read by key; else None.

    ``# Entry is a dict: entry["day"], entry["amount"], entry["kind"]``: shown only the class
    with its typed fields, the default model reads a TypedDict's fields as attributes
    (``entry.kind``), which raises ``AttributeError`` on every dict.
    """
    if not is_typed_dict(node):
        return None
    keys = [name for name, _ in readable_fields(node)[:SHOWN_KEYS]]
    if not keys:
        return None
    variable = snake_case(node.name)
    return f"# {node.name} is a dict: " + ", ".join(f'{variable}["{key}"]' for key in keys)


def snake_case(name: str) -> str:
    """Return a class's name as a variable holding one is named: ``LineItem``, ``line_item``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def enum_reading(node: ast.ClassDef) -> str | None:
    """Return a comment that shows how a member of an Enum reads, else None.

    ``# Color.RED.value == 'red'``: shown only ``RED = "red"``, the default model takes a
    member for its value and writes ``color.upper()`` (every sample, in ten seeds of ten);
    shown this line, it writes ``color.value.upper()`` (ten of ten). The member's name too
    (``Color.RED.name == 'RED'``) did as well there and worse on the project bench's enum
    tasks. None for a class that is no Enum or whose first member's value is no short literal
    (``auto()``).
    """
    if not is_enum(node):
        return None
    for stmt in node.body:
        target = _only_target(stmt)
        if not isinstance(target, ast.Name) or target.id.startswith("_"):
            continue
        assert isinstance(stmt, ast.Assign)  # _only_target found its one target
        if not _short_literal(stmt.value) or isinstance(stmt.value, ast.Call):
            return None
        return f"# {node.name}.{target.id}.value == {ast.unparse(stmt.value)}"
    return None


FROM_HEADER = "# from "
"""How a definition from another file of the project starts: ``# from lodge.models``."""
_DEFINED = re.compile(r"^(?:async\s+def|def|class)\s+([A-Za-z_]\w*)|^([A-Za-z_]\w*)\s*[:=]", re.M)


def defined_where(definitions: list[str]) -> dict[str, str]:
    """Return, per name a definition from another file defines, the module it comes from.

    Read back from the summaries' headers (``# from lodge.models`` then ``class Status(Enum):``);
    a library's block, headed otherwise, names none.
    """
    found: dict[str, str] = {}
    for definition in definitions:
        header, _, rest = definition.partition("\n")
        if not header.startswith(FROM_HEADER):
            continue
        match = _DEFINED.search(rest)
        if match:
            found.setdefault(match.group(1) or match.group(2), header[len(FROM_HEADER) :].strip())
    return found


SHOWN_NESTED_FIELDS = 3
"""A field typed by another shown class says how this many of that class's fields read."""


def readable_fields(node: ast.ClassDef) -> list[tuple[str, str]]:
    """Return the public fields a class's objects carry with their types, in source order.

    A dataclass or typed class's class-level fields (``cents: int``), else the attributes its
    ``__init__`` types (``self.cents: int = 0``, or ``self.cents = cents`` from a parameter
    annotated ``cents: int``). None for an Enum, whose members read otherwise
    (:func:`enum_reading`).
    """
    if is_enum(node):
        return []
    fields = [
        (stmt.target.id, ast.unparse(stmt.annotation))
        for stmt in node.body
        if isinstance(stmt, ast.AnnAssign)
        and isinstance(stmt.target, ast.Name)
        and not stmt.target.id.startswith("_")
        and "ClassVar" not in ast.unparse(stmt.annotation)
    ]
    if fields:
        return fields
    init = next(
        (s for s in node.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None
    )
    if init is None:
        return []
    hinted = {
        a.arg: ast.unparse(a.annotation)
        for a in [*init.args.args, *init.args.kwonlyargs]
        if a.annotation is not None
    }
    found: dict[str, str] = {}
    for stmt in ast.walk(init):
        target = stmt.target if isinstance(stmt, ast.AnnAssign) else _only_target(stmt)
        if not (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
            and not target.attr.startswith("_")
        ):
            continue
        if isinstance(stmt, ast.AnnAssign):
            found.setdefault(target.attr, ast.unparse(stmt.annotation))
        elif (
            isinstance(stmt, ast.Assign)
            and isinstance(stmt.value, ast.Name)
            and stmt.value.id in hinted
        ):
            found.setdefault(target.attr, hinted[stmt.value.id])
    return list(found.items())


def nested_reading(
    owner: ast.ClassDef,
    field_statement: ast.stmt,
    fields_of: Mapping[str, list[tuple[str, str]]],
    keyed: frozenset[str] = frozenset(),
) -> str | None:
    """Return a comment that shows how a field typed by another shown class reads, else None.

    ``amount: Money  # entry.amount.cents: int, entry.amount.currency: Currency``: shown only
    ``amount: Money`` beside ``Money``'s own summary, only 4 of 24 samples of the default model
    (three seeds) read ``entry.amount.cents``, the others used the object (``entry.amount < 0``,
    a TypeError); with this line, 23 of 24 read it. The variable is the owner's name in snake
    case. A TypedDict (the owner, or one of ``keyed``) is read by key: ``order["buyer"]["name"]``.
    """
    if not isinstance(field_statement, ast.AnnAssign) or not isinstance(
        field_statement.target, ast.Name
    ):
        return None
    typed = single_class(field_statement.annotation)
    fields = fields_of.get(typed or "", [])
    if typed is None or typed == owner.name or not fields:
        return None
    path = snake_case(owner.name) + _access(field_statement.target.id, is_typed_dict(owner))
    shown = [
        f"{path}{_access(name, typed in keyed)}: {kind}"
        for name, kind in fields[:SHOWN_NESTED_FIELDS]
    ]
    return "# " + ", ".join(shown)


def _access(field: str, by_key: bool) -> str:
    return f'["{field}"]' if by_key else f".{field}"


def single_class(annotation: ast.expr) -> str | None:
    """Return the one class an annotation names (``Money``, ``Money | None``), else None."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        sides = [annotation.left, annotation.right]
        named = [
            side for side in sides if not (isinstance(side, ast.Constant) and side.value is None)
        ]
        return single_class(named[0]) if len(named) == 1 else None
    if isinstance(annotation, ast.Subscript) and ast.unparse(annotation.value) in (
        "Optional",
        "typing.Optional",
    ):
        return single_class(annotation.slice)
    if isinstance(annotation, ast.Name):
        return annotation.id
    return None


SHOWN_WRITES = 3
"""A method that writes its object's state shows at most this many of its writes."""
FEEDING_HOPS = 2
"""How many assignments back an excerpt follows what a write reads (:func:`_read_by_writes`)."""
SHOWN_VALUE_CHARS = 40
"""An untyped attribute's first value is shown when it is a literal this short."""

_PLAIN = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr)
"""Statements a write can be: assignments and calls."""
_BLOCKS = (ast.For, ast.AsyncFor, ast.While, ast.If, ast.With, ast.AsyncWith, ast.Try)
"""Blocks an excerpt looks into for writes (a nested def's ``self`` is another object)."""


def state_writes(
    func: ast.FunctionDef | ast.AsyncFunctionDef, typed: frozenset[str] = frozenset()
) -> list[str]:
    """Return what a method that writes untyped state shows of its body; [] for another method.

    ``self.sales.append((snack, quantity))`` is the only place that says what an untyped
    ``self.sales = []`` holds: shown only ``def ring(self, snack: Snack, quantity: int) ->
    None: ...``, the default model read the sales as snacks in every sample of every method
    that used them. A write assigns to an attribute of ``self`` that is not in ``typed``
    (whose annotation says what it holds already), or calls a method on one. A method with a
    write is shown as an excerpt of its body: its first :data:`SHOWN_WRITES` writes, inside
    the ``for``/``if``/``with`` lines that hold them and after the assignments of the names
    they read (loop variables and locals say what is written), ``...`` for whatever is left
    out; a body of writes alone is shown whole. Other methods stay out.
    """
    if func.name.startswith("__") or not func.args.args:
        return []
    me = func.args.args[0].arg
    body = func.body[1:] if ast.get_docstring(func) is not None else func.body
    if not any(_writes_state(statement, me, typed) for statement in _simple_statements(body)):
        return []
    lines, _ = _excerpt(body, me, typed, SHOWN_WRITES, _read_by_writes(body, me, typed))
    return lines


def _read_by_writes(body: list[ast.stmt], me: str, typed: frozenset[str]) -> set[str]:
    """Return the local names the writes read, and those the assignments of these read.

    ``cents`` in ``self.sales.append((snack, cents))``; then ``item`` in ``cents =
    item.price_cents * units`` (up to :data:`FEEDING_HOPS` such steps back), so that the
    excerpt says where what is written comes from.
    """
    statements = _simple_statements(body)

    def read(node: ast.AST) -> set[str]:
        return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id != me}

    names = {name for s in statements if _writes_state(s, me, typed) for name in read(s)}
    assignments = [s for s in statements if isinstance(s, ast.Assign)]
    for _ in range(FEEDING_HOPS - 1):
        feeding = [a for a in assignments if _assigns_one_of(a, names)]
        names |= {name for a in feeding for name in read(a.value)}
    return names


def _simple_statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """Return the plain statements of ``body`` and of the blocks in it (not nested defs)."""
    found: list[ast.stmt] = []
    for statement in body:
        if isinstance(statement, _PLAIN):
            found.append(statement)
        elif isinstance(statement, _BLOCKS):
            found += _simple_statements(_block_body(statement))
    return found


def _block_body(block: ast.stmt) -> list[ast.stmt]:
    """Return the statements an excerpt looks into: a block's body, and an ``if``'s else."""
    return [statement for _, branch in _branches(block) for statement in branch]


def _branches(block: ast.stmt) -> list[tuple[str, list[ast.stmt]]]:
    """Return a block's first line with its body, and for an ``if`` its ``else:`` too."""
    branches = [(_block_header(block), list(getattr(block, "body", [])))]
    if isinstance(block, ast.If) and block.orelse:
        branches.append(("else:", block.orelse))
    return branches


def _writes_state(statement: ast.stmt, me: str, typed: frozenset[str]) -> bool:
    """Tell a plain statement that assigns to an untyped attribute of ``me`` or calls its method."""

    def on_self(node: ast.expr) -> bool:
        attribute = ""
        while isinstance(node, ast.Attribute | ast.Subscript):
            attribute = node.attr if isinstance(node, ast.Attribute) else attribute
            node = node.value
            if isinstance(node, ast.Name) and node.id == me:
                return attribute not in typed
        return False

    if isinstance(statement, ast.Assign):
        return any(on_self(target) for target in statement.targets)
    if isinstance(statement, ast.AugAssign | ast.AnnAssign):
        return on_self(statement.target)
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        return on_self(statement.value.func)
    return False


def _excerpt(
    body: list[ast.stmt], me: str, typed: frozenset[str], room: int, read: set[str]
) -> tuple[list[str], int]:
    """Return up to ``room`` writes of ``body`` in their blocks, and how many were shown.

    A local name in ``read`` (what the writes read, :func:`_read_by_writes`) is shown where
    this body assigns it: what is written is otherwise unsaid.
    """
    lines: list[str] = []
    shown = 0
    writes = [s for s in _simple_statements(body) if _writes_state(s, me, typed)]

    def elided() -> None:
        if not lines or lines[-1] != "...":
            lines.append("...")

    def line(statement: ast.stmt) -> str:
        text = ast.unparse(statement).split("\n")[0]
        return text if len(text) <= MAX_LINE_CHARS else text[:MAX_LINE_CHARS] + " ..."

    for statement in body:
        if shown >= room:
            elided()
            break
        if statement in writes:
            lines.append(line(statement))
            shown += 1
        elif isinstance(statement, ast.Assign) and _assigns_one_of(statement, read):
            lines.append(line(statement))
        elif isinstance(statement, _BLOCKS) and any(
            _writes_state(s, me, typed) for s in _simple_statements([statement])
        ):
            for place, (header, branch) in enumerate(_branches(statement)):
                if shown < room and any(
                    _writes_state(s, me, typed) for s in _simple_statements(branch)
                ):
                    inner, count = _excerpt(branch, me, typed, room - shown, read)
                    lines += [header, *[_INDENT + text for text in inner]]
                    shown += count
                elif place == 0:  # the `if` of an else that writes
                    lines += [header, _INDENT + "..."]
        else:
            elided()
    return lines, shown


def _assigns_one_of(assignment: ast.Assign, names: set[str]) -> bool:
    """Tell ``x = ...`` or ``x, y = ...`` assigning only plain names, one of them in ``names``."""
    targets = [
        node
        for target in assignment.targets
        for node in (target.elts if isinstance(target, ast.Tuple) else [target])
    ]
    return all(isinstance(t, ast.Name) for t in targets) and any(
        isinstance(t, ast.Name) and t.id in names for t in targets
    )


def _block_header(block: ast.stmt) -> str:
    """Return a block's first line: ``for item in items:``, ``if item.qty:``, ``try:``."""
    bare = copy.copy(block)
    bare.body = [ast.Expr(ast.Constant(...))]  # type: ignore[attr-defined]
    for branch in ("orelse", "handlers", "finalbody"):
        if hasattr(bare, branch):
            setattr(bare, branch, [])
    if isinstance(bare, ast.Try):
        bare.finalbody = [ast.Pass()]  # a try needs a handler or a finally to unparse
    return ast.unparse(bare).split("\n")[0]


def self_attributes(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """Return ``self.x`` (or ``self.x: T``) for each attribute ``__init__`` assigns.

    An untyped one first set to a short literal is shown with it (``self.sales = []``), the
    only sign of what it holds; one set to a hinted parameter takes its hint
    (``self.rooms: list[Room]``); one set to a short expression of the parameters is shown with
    it (``self.rooms = {room.number: room for room in rooms}``): shown a user's ledger's
    ``self.rooms`` alone, every sample of its ``price(booking)`` read a room from the booking.
    """
    if func.name not in ("__init__", "__post_init__") or not func.args.args:
        return []
    me = func.args.args[0].arg
    arguments = [*func.args.posonlyargs, *func.args.args[1:], *func.args.kwonlyargs]
    hinted = {a.arg: ast.unparse(a.annotation) for a in arguments if a.annotation is not None}
    parameters = frozenset(a.arg for a in arguments)
    found: dict[str, str] = {}
    stack: list[ast.AST] = list(func.body)
    while stack:
        node = stack.pop(0)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue  # their `self` is another object
        targets: list[ast.AST] = []
        annotation = None
        value = None
        if isinstance(node, ast.Assign):
            targets = [n for t in node.targets for n in ast.walk(t)]
            value = node.value if len(node.targets) == 1 else None
        elif isinstance(node, ast.AnnAssign):
            targets, annotation = [node.target], node.annotation
        for target in targets:
            if (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == me
            ):
                text = f"{me}.{target.attr}"
                if annotation is not None:
                    text += f": {ast.unparse(annotation)}"
                elif value is not None and target is _only_target(node):
                    text += _value_shown(value, hinted, parameters)
                if target.attr not in found or annotation is not None:
                    found[target.attr] = text
        stack += [c for c in ast.iter_child_nodes(node) if isinstance(c, ast.stmt)]
    return list(found.values())


def _typed_attributes(node: ast.ClassDef) -> frozenset[str]:
    """Return the names the class annotates: its fields, and ``self.x: T`` in ``__init__``."""
    typed = {
        stmt.target.id
        for stmt in node.body
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
    }
    for stmt in node.body:
        if isinstance(stmt, ast.FunctionDef) and stmt.name in ("__init__", "__post_init__"):
            typed |= {
                found.target.attr
                for found in ast.walk(stmt)
                if isinstance(found, ast.AnnAssign) and isinstance(found.target, ast.Attribute)
            }
    return frozenset(typed)


def _only_target(node: ast.AST) -> ast.AST | None:
    """Return an assignment's one target (``self.x = ...``), else None."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        return node.targets[0]
    return None


def _value_shown(value: ast.expr, hinted: dict[str, str], parameters: frozenset[str]) -> str:
    """Return what follows ``self.x`` for an untyped attribute's first value ("" for nothing)."""
    if isinstance(value, ast.Name) and value.id in hinted:
        return f": {hinted[value.id]}"
    if _short_literal(value) or _of_parameters(value, parameters):
        return f" = {ast.unparse(value)}"
    return ""


_PURE_CALLS = frozenset(
    {"list", "dict", "set", "tuple", "frozenset", "sorted", "len", "sum", "min", "max"}
    | {"enumerate", "zip", "reversed", "range", "str", "int", "float"}
)
"""Builtins whose call on the parameters says what an attribute holds and does nothing else."""


def _of_parameters(value: ast.expr, parameters: frozenset[str]) -> bool:
    """Tell a short expression computed from the parameters alone (a comprehension over one).

    Every name it reads is a parameter, a name it binds itself or a :data:`_PURE_CALLS`
    builtin, and it calls nothing else: ``open(path)`` or ``self.load()`` is not shown.
    """
    if isinstance(value, ast.Name) or len(ast.unparse(value)) > SHOWN_VALUE_CHARS:
        return False
    nodes = list(ast.walk(value))
    bound = {n.id for n in nodes if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    read = {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    calls_pure = all(
        isinstance(n.func, ast.Name) and n.func.id in _PURE_CALLS
        for n in nodes
        if isinstance(n, ast.Call)
    )
    used = read - bound
    return calls_pure and bool(used & parameters) and used <= parameters | _PURE_CALLS


def _short_literal(value: ast.expr) -> bool:
    """Tell a short literal: ``[]``, ``{}``, ``0``, ``""``, ``set()``, ``(0, 0)``."""
    if isinstance(value, ast.Call):
        empty = not value.args and not value.keywords
        literal = empty and isinstance(value.func, ast.Name) and value.func.id in _EMPTY_CALLS
    else:
        try:
            ast.literal_eval(value)
            literal = True
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            literal = False
    return literal and len(ast.unparse(value)) <= SHOWN_VALUE_CHARS


_EMPTY_CALLS = {"list", "dict", "set", "tuple", "frozenset", "Counter", "defaultdict", "deque"}


def statement_text(node: ast.stmt, source: str) -> str:
    """Return an assignment as written (with its comment) when short, else cut."""
    segment = ast.get_source_segment(source, node) or ast.unparse(node)
    first = segment.split("\n")[0]
    if "\n" not in segment and len(first) <= MAX_LINE_CHARS:
        lines = source.splitlines()
        line = lines[node.lineno - 1].strip() if node.lineno <= len(lines) else first
        # Keep a trailing comment ("east: float  # metres"); it often gives the unit.
        return line if line.startswith(first) and len(line) <= MAX_LINE_CHARS else first
    return first[:MAX_LINE_CHARS].rstrip() + " ...  # (value cut)"
