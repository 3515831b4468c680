"""An installed library's members, shown so that a body calls what the library has."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from codegen_lsp import crossfile, libraries
from codegen_lsp.context import find_function
from codegen_lsp.libraries import Member
from support.projects import bare_venv

NAMING = '''
"""Inflections, a library only the project's virtualenv has."""


def parameterize(text: str, separator: str = "-") -> str:
    """Replace special characters so that the text may be part of a pretty URL.

    Example::

        >>> parameterize("Donald E. Knuth")
        'donald-e-knuth'
    """
    return text


def titleize(word: str) -> str:
    """Capitalize all the words to make a nicer looking title."""
    return word


def ordinalize(number: int) -> str:
    """Turn a number into an ordinal string: 1st, 2nd, 3rd."""
    return str(number)


def humanize(word: str) -> str:
    """Capitalize the first word and turn underscores into spaces."""
    return word


class Inflector:
    """Rules for one language."""

    def __init__(self, language: str) -> None:
        self.language = language


def _private() -> None:
    """Never shown."""
'''

# A large library (numpy's kind): many members, one of them relevant to slugs.
LARGE = "\n".join(f"def tool_{index:02d}(x):\n    return x\n" for index in range(70)) + (
    '\n\ndef slugify_text(text, separator="-"):\n    """Make text safe for a URL slug."""\n'
    "    return text\n"
)


SMALL_FACE = 'def slugify_text(text, separator="-"):\n    """Make text safe for a URL slug."""\n'


@pytest.fixture(scope="module")
def venv_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A project whose own virtualenv has ``naming`` and ``bigkit`` installed; root, python."""
    root = tmp_path_factory.mktemp("libraries") / "project"
    root.mkdir()
    python, purelib = bare_venv(root / ".venv")
    for package, source in (("naming", NAMING), ("bigkit", LARGE), ("widekit", SMALL_FACE)):
        (Path(purelib) / package).mkdir()
        (Path(purelib) / package / "__init__.py").write_text(source)
    # A package of many files (numpy's kind) behind a small face: large without reading it.
    for index in range(13):
        (Path(purelib) / "widekit" / f"part_{index}.py").write_text("X = 1\n")
    return root, python


def context_of(project: tuple[Path, Path], source: str) -> crossfile.CrossFileContext:
    root, python = project
    path = root / "app" / "pages.py"
    path.parent.mkdir(exist_ok=True)
    text = textwrap.dedent(source).lstrip("\n")
    path.write_text(text)
    line = next(i for i, line in enumerate(text.splitlines()) if line.startswith("def "))
    crossfile.clear_cache()
    return crossfile.cross_file_context(
        text,
        str(path),
        find_function(text, line),
        project_root=str(root),
        interpreter=str(python),
        timeout_s=60.0,
    )


def test_an_imported_library_module_shows_the_members_its_docstring_calls_for(
    venv_project: tuple[Path, Path],
) -> None:
    # Found in a user's project: for `import inflection`, the model called
    # inflection.civil_year, .digitize, .civilize, none of which exist (AttributeError).
    result = context_of(
        venv_project,
        '''
        import naming


        def slug(title: str, year: int) -> str:
            """A URL slug: the title parameterized, a dash, then the year."""
        ''',
    )
    (shown,) = [d for d in result.definitions if d.kind == "library"]
    assert shown.module == "naming"
    lines = shown.text.splitlines()
    assert lines[0].startswith("# naming: installed in the project's environment")
    assert lines[1] == (
        '# naming.parameterize(text: str, separator: str="-") -> str: Replace special '
        "characters so that the text may be part of a pretty URL."
    )
    assert any(line.startswith("# naming.titleize(word: str) -> str") for line in lines)
    # A small library names the rest, never private ones, never a body.
    assert lines[-1] == "# naming also has: humanize, Inflector, ordinalize"
    assert "return" not in shown.text and "_private" not in shown.text
    assert all(line.startswith("#") for line in lines)
    assert shown.text in "\n\n".join(result.texts())


def test_a_name_imported_from_a_library_shows_its_signature_when_relevant(
    venv_project: tuple[Path, Path],
) -> None:
    result = context_of(
        venv_project,
        '''
        from naming import Inflector, ordinalize


        def day_label(day: int) -> str:
            """The day of the month as an ordinal."""
        ''',
    )
    texts = {d.name: d.text for d in result.definitions if d.kind == "library"}
    # The docstring says "ordinal": ordinalize's signature. Nothing of Inflector, which it
    # does not call for (as nothing of numpy's ndarray for a function that takes one).
    assert list(texts) == ["ordinalize"]
    assert texts["ordinalize"].splitlines()[1] == (
        "# ordinalize(number: int) -> str: Turn a number into an ordinal string: 1st, 2nd, 3rd."
    )


def test_a_large_library_shows_nothing(venv_project: tuple[Path, Path]) -> None:
    # Models know numpy's kind, its relevant-sounding members mislead (numpy.load for "read
    # points from a JSON file"), and telling its 542 names apart takes jedi seconds.
    for package in ("bigkit", "widekit"):
        result = context_of(
            venv_project,
            f'''
            import {package}


            def page_slug(title: str) -> str:
                """The slug of a page's title."""
            ''',
        )
        assert [d for d in result.definitions if d.kind == "library"] == [], package
        assert package in result.unresolved


def member(name: str, summary: str = "") -> Member:
    return Member(name, "function", f"{name}(x)", summary)


def test_members_are_chosen_by_a_shared_stem_in_their_name_or_two_in_their_summary() -> None:
    wanted = libraries.words_of("slug(book) A URL slug: its title parameterized, then its year.")
    assert {"slug", "title", "parameterized", "year", "book"} <= wanted
    assert "then" not in wanted and "its" not in wanted  # common words say nothing
    members = [
        member("humanize", "Capitalize the first word."),  # nothing in common
        member("tableize", "Create the name of a table, as for the year of a book."),  # two
        member("parameterize", "Replace special characters."),  # its name's stem
        member("camelize", "Convert strings to CamelCase for a title."),  # one word: chance
    ]
    assert sorted(m.name for m in libraries.chosen(members, wanted)) == ["parameterize", "tableize"]


def test_a_large_library_without_a_relevant_member_costs_nothing() -> None:
    many = [member(f"tool_{index}") for index in range(libraries.LISTED_MEMBERS + 1)]
    wanted = libraries.words_of("The area of a rectangle.")
    assert libraries.module_text("bigkit", "bk", many, wanted) == ""
    few = many[: libraries.LISTED_MEMBERS]
    assert libraries.module_text("bigkit", "bk", few, wanted).endswith(
        "# bk has: " + ", ".join(m.name for m in few)
    )


def test_a_summary_is_the_first_sentence_on_one_line() -> None:
    assert libraries.summary_line("Break *iterable* into lists.\n\nMore.") == (
        "Break *iterable* into lists."
    )
    assert libraries.summary_line("Split text\n    over lines. Then more.") == (
        "Split text over lines."
    )
    long = libraries.summary_line("word " * 40)
    assert len(long) == libraries.SUMMARY_CHARS and long.endswith("...")


HUMANIZE_BLOCK = libraries.module_text(
    "humanize",
    "humanize",
    [
        Member("intcomma", "function", "intcomma(value, ndigits=None) -> str", "Add commas."),
        Member("intword", "function", "intword(value) -> str", "Words for a large number."),
        Member("naturalsize", "function", "naturalsize(value) -> str", "A file size."),
    ],
    frozenset({"commas"}),
)


def test_a_member_that_does_not_exist_is_told_with_those_that_do() -> None:
    # Told only "module 'humanize' has no attribute 'format_price'", a user's repair round
    # wrote `humanize.format_price` again.
    failure = (
        "`format_price(0)` raised AttributeError: module 'humanize' has no attribute 'format_price'"
    )
    told = libraries.with_members(failure, ["# from shop\nclass Item: ...", HUMANIZE_BLOCK])
    assert told == f"{failure}; `humanize` has: intcomma, intword, naturalsize"
    # Another module, another error, or no block for the module: as it was.
    other = failure.replace("'humanize'", "'inflection'")
    assert libraries.with_members(other, [HUMANIZE_BLOCK]) == other
    error = "`f(0)` raised NameError: name 'humanize' is not defined"
    assert libraries.with_members(error, [HUMANIZE_BLOCK]) == error
