"""Cleaning samples into bodies, and rendering prompts in each format."""

from __future__ import annotations

from codegen_lsp.context import find_function
from codegen_lsp.draws import collect_bodies
from codegen_lsp.postprocess import extract_body
from codegen_lsp.prompt import Feedback, build_prompt, resolve_format, stop_sequences

SOURCE = (
    'import math\n\n\ndef area(r: float) -> float:\n    """Area of a circle.\n\n'
    '    >>> area(1.0)\n    3.141592653589793\n    """\n'
)
METHOD = 'class Shape:\n\tdef area(self, r):\n\t\t"""Area."""\n\t\tpass\n'


class TemplateEngine:
    """Renders ChatML like Qwen's template; has FIM tokens."""

    def __init__(self, chat: bool = True, fim: bool = True) -> None:
        self.chat, self.fim = chat, fim

    def chat_prompt(self, messages: list[dict[str, str]]) -> str | None:
        if not self.chat:
            return None
        rendered = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
        return rendered + "<|im_start|>assistant\n"

    def fim_tokens(self) -> tuple[str, str, str] | None:
        return ("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>") if self.fim else None


def test_cut_at_the_end_of_the_function() -> None:
    ctx = find_function(SOURCE, 3)
    text = "    return math.pi * r ** 2\n\n\ndef other():\n    pass\n"
    body = extract_body(text, ctx)
    assert body is not None and body.text == "    return math.pi * r ** 2" and body.parses


def test_cut_at_end_tokens_and_stop_sequences() -> None:
    ctx = find_function(SOURCE, 3)
    body = extract_body("    return 1.0<|endoftext|>garbage", ctx)
    assert body is not None and body.text == "    return 1.0"
    body = extract_body("    return 2.0\nif __name__ == '__main__':\n", ctx, stop_sequences(ctx))
    assert body is not None and body.text == "    return 2.0"


def test_chat_answer_in_a_fence_restating_the_function() -> None:
    ctx = find_function(SOURCE, 3)
    answer = (
        "Here is the function:\n```python\nimport math\n\ndef area(r: float) -> float:\n"
        '    """Area of a circle."""\n    return math.pi * r * r\n```\nIt works.'
    )
    body = extract_body(answer.split("\n", 1)[1], ctx)
    assert body is not None and body.text == "    return math.pi * r * r"
    # The prefilled chat answer continues the body and closes the fence.
    body = extract_body("    return math.pi * r * r\n```\nExplanation", ctx)
    assert body is not None and body.text == "    return math.pi * r * r"


def test_reindent_spaces_to_tabs() -> None:
    ctx = find_function(METHOD, 2)
    text = (
        "```python\nclass Shape:\n  def area(self, r):\n    if r < 0:\n      raise ValueError(r)\n"
        "    return 3 * r * r\n```"
    )
    body = extract_body(text, ctx)
    assert body is not None
    assert body.text == "\t\tif r < 0:\n\t\t\traise ValueError(r)\n\t\treturn 3 * r * r"
    assert body.parses


def test_empty_and_stub_samples_are_dropped_and_broken_ones_flagged() -> None:
    ctx = find_function(SOURCE, 3)
    assert extract_body("\n\n", ctx) is None
    assert extract_body("    pass\n", ctx) is None
    assert extract_body("    # TODO\n", ctx) is None
    broken = extract_body("    return (1 +\n", ctx)
    assert broken is not None and not broken.parses


def test_duplicates_are_counted_and_unusable_samples_dropped() -> None:
    ctx = find_function(SOURCE, 3)
    texts = ["    return 1\n", "    return 1\n\n", "    return 2\n", "", "    return (\n"]
    draw = collect_bodies(texts, [[-1.0], [-0.5], [-2.0], [], [-1.0]], ctx)
    assert [(b.body, b.duplicates) for b in draw.bodies] == [
        ("    return 1", 2),
        ("    return 2", 1),
    ]
    assert draw.bodies[0].logprobs == [-0.5]
    assert draw.sample_body == [0, 0, 1, None, None]
    assert (draw.dropped_empty, draw.dropped_unparseable) == (1, 1)


def test_prompt_formats() -> None:
    ctx = find_function(SOURCE, 3)
    engine = TemplateEngine()
    raw = build_prompt(ctx, "raw", engine)
    assert raw.text.startswith("import math\n") and raw.text.endswith('    """\n')
    assert "\ndef " in raw.stop
    chat = build_prompt(ctx, "chat", engine)
    assert chat.text.startswith("<|im_start|>system")
    assert chat.text.endswith("<|im_start|>assistant\n```python\n" + raw.text)
    assert "\n```" in chat.stop
    fim = build_prompt(ctx, "fim", engine)
    assert fim.text.startswith("<|fim_prefix|>import math") and fim.text.endswith("<|fim_middle|>")
    repair = build_prompt(
        ctx, "raw", engine, Feedback("    return 0", "`area(1.0)` returned 0", "use pi")
    )
    assert "# It fails this example: `area(1.0)` returned 0." in repair.text
    assert "# The user says: use pi" in repair.text
    assert "#     return 0" in repair.text  # the user's repair shows the body it repairs
    told = build_prompt(
        ctx, "raw", engine, Feedback("    return 0", "`area(1.0)` returned 0", show_body=False)
    )
    assert "it fails this example: `area(1.0)` returned 0." in told.text
    assert "return 0\n" not in told.text.split('"""')[0]  # the failed body is not shown


def test_format_falls_back_when_the_model_lacks_it() -> None:
    base = TemplateEngine(chat=False, fim=False)
    assert resolve_format("auto", base) == "raw"
    assert resolve_format("chat", base) == "raw"
    assert resolve_format("fim", base) == "raw"
    assert resolve_format("fim", TemplateEngine()) == "fim"


def test_dropping_a_body_keeps_the_draw_consistent() -> None:
    """A repair drops bodies that repeat the failing one; every count must follow."""
    ctx = find_function(SOURCE, 3)
    texts = ["    return 1\n", "    return 2\n", "    return 1\n", ""]
    draw = collect_bodies(texts, [[-1.0], [-2.0], [-1.0], []], ctx)
    assert draw.drop(lambda drawn: drawn.body == "    return 1") == 2
    assert [b.body for b in draw.bodies] == ["    return 2"]
    assert draw.sample_body == [None, 0, None, None]


GCD_SOURCE = 'def simplify(a: int, b: int) -> int:\n    """Greatest common divisor."""\n'


def test_a_standard_module_the_body_uses_unimported_is_imported_in_the_body() -> None:
    ctx = find_function(GCD_SOURCE, 0)
    body = extract_body("    return math.gcd(a, b) + len(os.sep)\n", ctx)
    assert body is not None and body.parses
    assert body.text == "    import math\n    import os\n    return math.gcd(a, b) + len(os.sep)"


def test_names_the_module_or_the_body_binds_are_left_alone() -> None:
    ctx = find_function(SOURCE, 3)  # the file imports math
    body = extract_body("    return math.pi * r * r\n", ctx)
    assert body is not None and body.text == "    return math.pi * r * r"
    gcd = find_function(GCD_SOURCE, 0)
    bound = extract_body("    string = str(a)\n    return len(string.strip()) + b\n", gcd)
    assert bound is not None and "import" not in bound.text
    not_a_module = extract_body("    return numbers.count(a)\n", gcd)  # not imported, not stdlib
    assert not_a_module is not None and "import" not in not_a_module.text


GUESTS_SOURCE = '''from lodge.models import Booking


def nights_per_guest(bookings: list[Booking]) -> dict[str, int]:
    """Each guest's booked nights, leaving out cancelled bookings."""
'''
SHOWN = [
    "# from lodge.models\nclass Status(Enum):\n    HELD = 1\n    CANCELLED = 2",
    "# from lodge.models\n@dataclass\nclass Booking:\n    status: Status = Status.HELD",
    "# from lodge.rates\nNIGHTLY: int = 9000",
    "# from lodge.rates\ndef season(day: date) -> str: ...",
    "# inflection: installed in the project's environment, not the project's code\n"
    "# inflection.titleize(word) -> str: Capitalize all the words.",
]


def test_a_name_the_prompt_showed_from_another_file_is_imported_in_the_body() -> None:
    # Shown `status: Status = Status.HELD`, every sample of a user's `nights_per_guest` used
    # `Status.CANCELLED` in a file that imports only `Booking`: NameError on every input.
    from dataclasses import replace

    ctx = replace(find_function(GUESTS_SOURCE, 3), definitions=SHOWN)
    written = (
        "    for booking in bookings:\n"
        "        if booking.status is not Status.CANCELLED and season(booking.day):\n"
        "            return {booking.guest: NIGHTLY * len(bookings)}\n"
        "    return dict(Booking=1)\n"
    )
    body = extract_body(written, ctx)
    assert body is not None and body.text == (
        "    from lodge.models import Status\n"
        "    from lodge.rates import NIGHTLY, season\n" + written.rstrip("\n")
    )
    # What the module binds, a builtin, a library's member, a name shown nowhere: left alone.
    alone = "    titleize = len\n    return {b.guest: titleize(b) for b in bookings if Unknown}\n"
    unchanged = extract_body(alone, ctx)
    assert unchanged is not None and unchanged.text == alone.rstrip("\n")


def test_a_body_that_copies_a_library_listing_loses_the_copy() -> None:
    # Seen at rank 1 for `ordinal_day(day: int) -> str` in a project importing inflection.
    from dataclasses import replace

    from codegen_lsp import libraries

    source = 'import inflection\n\n\ndef ordinal_day(day: int) -> str:\n    """The day."""\n'
    member = libraries.Member("ordinalize", "function", "ordinalize(number: int) -> str", "")
    block = libraries.module_text("inflection", "inflection", [member], frozenset({"ordinal"}))
    ctx = replace(find_function(source, 3), definitions=[block])
    sample = (
        "    # inflection ordinal(day: int) -> str: Return the suffix ...\n"
        "    # inflection.ordinalize(number: int) -> str: Turn a number into an ordinal\n"
        "    # inflection also has: camelize, dasherize\n"
        "    # inflection writes the suffix for us\n"
        "    return inflection.ordinalize(day)\n"
    )
    body = extract_body(sample, ctx)
    assert body is not None
    assert body.text == (
        "    # inflection writes the suffix for us\n    return inflection.ordinalize(day)"
    )
    # Without a library block, a comment is the body's own, whatever it says.
    plain = extract_body(sample, find_function(source, 3))
    assert plain is not None and plain.text.startswith("    # inflection ordinal(day")
