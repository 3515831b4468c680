"""Real multi-module projects for the tests: packages on disk and a virtualenv of their own.

``make_project_venv`` creates a virtualenv with ``python -m venv`` and installs into it, with its
own pip and offline, ``unitsy``: a small pure-Python library that the server's environment does
not have (its wheel is written here, a zip with the dist-info files pip reads). Code that
imports ``unitsy`` therefore runs only under the project's interpreter.

``write_shapes_project`` writes the issue's two-module package: a dataclass ``Pt`` and a class
``Vec`` in ``shapes/geometry.py``, used by ``shapes/ops.py`` in signatures and examples.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

LIBRARY = "unitsy"
LIBRARY_MAGIC = "imported from the project virtualenv"
LIBRARY_SOURCE = f'''\
"""Units, a library only the project's virtualenv has."""

MAGIC = {LIBRARY_MAGIC!r}
KM_PER_MILE = 1.609344


def triple(x):
    """Return three times x."""
    return 3 * x


def km(miles):
    """Return the distance in kilometres."""
    return round(miles * KM_PER_MILE, 3)
'''


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(folder: Path) -> Path:
    """Write ``unitsy-1.0-py3-none-any.whl`` into ``folder`` and return its path."""
    dist_info = f"{LIBRARY}-1.0.dist-info"
    files = {
        f"{LIBRARY}/__init__.py": LIBRARY_SOURCE.encode(),
        f"{dist_info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {LIBRARY}\nVersion: 1.0\nSummary: units for the tests\n"
        ).encode(),
        f"{dist_info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: codegen-lsp-tests\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n"
        ),
    }
    record = [_record_line(name, data) for name, data in files.items()]
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = folder / f"{LIBRARY}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return wheel


def make_project_venv(folder: Path) -> Path:
    """Create a virtualenv at ``folder`` with ``unitsy`` installed; return its python."""
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    python = folder / "bin" / "python"
    wheel = build_wheel(folder.parent)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-index", "--no-deps", str(wheel)],
        check=True,
    )
    return python


GEOMETRY = '''\
"""Points and vectors."""

from dataclasses import dataclass


@dataclass
class Pt:
    """A point on the map."""

    east: float
    north: float


class Vec:
    """A displacement."""

    def __init__(self, dx: float, dy: float) -> None:
        self.dx = dx
        self.dy = dy

    def length(self) -> float:
        """Return the vector's length."""
        return (self.dx**2 + self.dy**2) ** 0.5
'''

OPS = '''\
"""Operations on points."""

from shapes.geometry import Pt, Vec
from unitsy import km

from .geometry import Pt as RelativePt


def move_all(points: list[Pt], v: Vec) -> list[Pt]:
    """Move every point by v.

    >>> move_all([Pt(1.0, 2.0)], Vec(0.5, -1.0))
    [Pt(east=1.5, north=1.0)]
    """
    return [Pt(p.east + v.dx, p.north + v.dy) for p in points]


def span_km(a: RelativePt, b: RelativePt) -> float:
    """Return the east-west span between a and b in kilometres, from miles.

    >>> span_km(Pt(0.0, 0.0), Pt(10.0, 0.0))
    16.093
    """
    return km(abs(b.east - a.east))


def shift(points: list[Pt], v: Vec) -> list[Pt]:
    """Return the points moved by v, as new points.

    >>> shift([Pt(0.0, 0.0)], Vec(1.0, 1.0))
    [Pt(east=1.0, north=1.0)]
    """
    ...
'''
SHIFT_LINE = OPS.splitlines().index("def shift(points: list[Pt], v: Vec) -> list[Pt]:")
MOVE_ALL_LINE = OPS.splitlines().index("def move_all(points: list[Pt], v: Vec) -> list[Pt]:")
SPAN_LINE = OPS.splitlines().index("def span_km(a: RelativePt, b: RelativePt) -> float:")


def write_shapes_project(root: Path) -> Path:
    """Write the shapes project under ``root``; return the path of ``shapes/ops.py``."""
    (root / "shapes").mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'shapes'\n", encoding="utf-8")
    (root / "shapes" / "__init__.py").write_text("", encoding="utf-8")
    (root / "shapes" / "geometry.py").write_text(GEOMETRY, encoding="utf-8")
    ops = root / "shapes" / "ops.py"
    ops.write_text(OPS, encoding="utf-8")
    return ops


SHIFT_HIDDEN_TEST = """\
from shapes.geometry import Pt, Vec
from shapes.ops import shift
points = [Pt(1.0, 2.0), Pt(-1.0, 0.0)]
assert shift(points, Vec(2.0, 3.0)) == [Pt(3.0, 5.0), Pt(1.0, 3.0)]
assert points == [Pt(1.0, 2.0), Pt(-1.0, 0.0)]
assert shift([], Vec(1.0, 1.0)) == []
"""
"""Checks of ``shift`` the model never saw; run with :func:`run_hidden`."""


def run_hidden(root: Path, python: Path, code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` from the project's root under its interpreter (the root importable)."""
    return subprocess.run(
        [str(python), "-c", code],
        cwd=root,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def bare_venv(folder: Path) -> tuple[Path, Path]:
    """Create a virtualenv without pip at ``folder``; return its python and its site-packages.

    Packages are "installed" by writing them into the site-packages folder: quicker than pip,
    and what jedi and the sandbox read all the same.
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return python, Path(purelib)
