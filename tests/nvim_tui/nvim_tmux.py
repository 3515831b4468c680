"""Drive the real Neovim TUI in tmux: keys in with send-keys, the screen out with capture-pane.

Neovim runs with the shipped configuration (editors/nvim) through tests/nvim_tui/init.lua, and
with HOME and XDG_* in a temp dir. ``save_screenshot`` renders a captured screen (with colours)
to PNG for the README.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from codegen_lsp.engine.models import cache_root

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
NVIM = shutil.which("nvim", path=str(Path(sys.executable).parent)) or shutil.which("nvim")
TMUX = shutil.which("tmux")
WIDTH, HEIGHT = 110, 34


class NeovimTUI:
    """One Neovim in a detached tmux session, editing one file."""

    def __init__(self, workdir: Path, source: str, settings: dict[str, Any]) -> None:
        assert NVIM and TMUX
        self.workdir = workdir
        self.file = workdir / "mod.py"
        self.file.write_text(source)
        self.log = workdir / "server.log"
        self.session = f"codegen-{uuid.uuid4().hex[:8]}"
        home = workdir / "home"
        env = {
            "HOME": str(home),
            **{
                f"XDG_{k}_HOME": str(home / k.lower()) for k in ("CONFIG", "DATA", "STATE", "CACHE")
            },
            "CODEGEN_EDITORS": str(ROOT / "editors"),
            "CODEGEN_PYTHON": sys.executable,
            "CODEGEN_LOG": str(self.log),
            "CODEGEN_SETTINGS": json.dumps(settings),
            "CODEGEN_LSP_CACHE": str(cache_root()),
            "TERM": "xterm-256color",
        }
        # A private tmux server (-L): nothing shared with a user's own tmux.
        self.tmux = [TMUX, "-L", self.session, "-f", "/dev/null"]
        exports = " ".join(f"{k}={_quote(v)}" for k, v in env.items())
        command = f"env {exports} {NVIM} -u {HERE / 'init.lua'} -i NONE -n {_quote(str(self.file))}"
        subprocess.run(
            [*self.tmux, "new-session", "-d", "-s", self.session, "-x", str(WIDTH), "-y",
             str(HEIGHT), "-c", str(workdir), command],
            check=True, env={**os.environ, **env},
        )  # fmt: skip
        self.screens: list[str] = []

    def keys(self, *keys: str, literal: bool = False) -> None:
        """Type keys (tmux key names, or literal text)."""
        flags = ["-l"] if literal else []
        subprocess.run([*self.tmux, "send-keys", "-t", self.session, *flags, *keys], check=True)
        time.sleep(0.15)

    def command(self, text: str) -> None:
        """Run an Ex command the way a person does: `:`, the text, Enter."""
        self.keys("Escape")
        self.keys(":" + text, literal=True)
        self.keys("Enter")

    def screen(self, colours: bool = False) -> str:
        """The terminal as it is now."""
        flags = ["-e"] if colours else []
        proc = subprocess.run(
            [*self.tmux, "capture-pane", "-p", *flags, "-t", self.session],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        if not colours:
            self.screens.append(proc.stdout)
        return proc.stdout

    def wait_for(self, what: str, test: Callable[[str], bool], timeout: float) -> str:
        """Poll the screen until ``test`` holds; fail with the last screen."""
        end = time.monotonic() + timeout
        while True:
            text = self.screen()
            if test(text):
                return text
            if time.monotonic() > end:
                raise AssertionError(f"timed out waiting for {what}; screen:\n{text}")
            time.sleep(0.3)

    def close(self) -> None:
        """Quit Neovim (it stops its language server) and the tmux server."""
        try:
            self.command("qa!")
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and self._alive():
                time.sleep(0.1)
        finally:
            subprocess.run([*self.tmux, "kill-server"], capture_output=True)

    def _alive(self) -> bool:
        proc = subprocess.run([*self.tmux, "has-session", "-t", self.session], capture_output=True)
        return proc.returncode == 0


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def menu_entries(screen: str) -> dict[int, str]:
    """The numbered entries of Neovim's default vim.ui.select menu (inputlist) on a screen."""
    if "Type number and <Enter>" not in screen:
        return {}
    entries = {}
    for line in screen.splitlines():
        match = re.match(r"^(\d+): (.+?)\s*$", line)
        if match:
            entries[int(match.group(1))] = match.group(2)
    return entries


_SGR = re.compile(r"\x1b\[([0-9;]*)m")
_BASE16 = [
    (0, 0, 0), (205, 49, 49), (13, 188, 121), (229, 229, 16), (36, 114, 200), (188, 63, 188),
    (17, 168, 205), (229, 229, 229), (102, 102, 102), (241, 76, 76), (35, 209, 139),
    (245, 245, 67), (59, 142, 234), (214, 112, 214), (41, 184, 219), (255, 255, 255),
]  # fmt: skip


def _xterm256(index: int) -> tuple[int, int, int]:
    if index < 16:
        return _BASE16[index]
    if index < 232:
        index -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return steps[index // 36], steps[(index // 6) % 6], steps[index % 6]
    grey = 8 + (index - 232) * 10
    return grey, grey, grey


def save_screenshot(ansi: str, target: Path) -> bool:
    """Render a ``capture-pane -e`` screen to PNG; False when Pillow or a mono font is missing."""
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        return False
    font_path = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
    if not font_path.exists():
        return False
    font = ImageFont.truetype(str(font_path), 15)
    cell_w, cell_h = 9, 19
    default_fg, default_bg = (212, 212, 212), (30, 30, 30)
    lines = ansi.split("\n")[:HEIGHT]
    image = Image.new("RGB", (WIDTH * cell_w + 16, HEIGHT * cell_h + 16), default_bg)
    draw = ImageDraw.Draw(image)
    fg, bg, reverse = default_fg, default_bg, False
    for row, line in enumerate(lines):
        col = 0
        parts = _SGR.split(line)
        for index, part in enumerate(parts):
            if index % 2 == 1:  # an SGR parameter list
                codes = [int(c) if c else 0 for c in part.split(";")] if part else [0]
                i = 0
                while i < len(codes):
                    code = codes[i]
                    if code == 0:
                        fg, bg, reverse = default_fg, default_bg, False
                    elif code == 7:
                        reverse = True
                    elif code == 27:
                        reverse = False
                    elif 30 <= code <= 37 or 90 <= code <= 97:
                        fg = _BASE16[code - 30 if code < 90 else code - 82]
                    elif 40 <= code <= 47 or 100 <= code <= 107:
                        bg = _BASE16[code - 40 if code < 100 else code - 92]
                    elif code in (38, 48) and i + 1 < len(codes):
                        if codes[i + 1] == 5 and i + 2 < len(codes):
                            colour = _xterm256(codes[i + 2])
                            i += 2
                        elif codes[i + 1] == 2 and i + 4 < len(codes):
                            colour = (codes[i + 2], codes[i + 3], codes[i + 4])
                            i += 4
                        else:
                            colour = fg if code == 38 else bg
                        if code == 38:
                            fg = colour
                        else:
                            bg = colour
                    elif code == 39:
                        fg = default_fg
                    elif code == 49:
                        bg = default_bg
                    i += 1
                continue
            for char in part:
                x, y = 8 + col * cell_w, 8 + row * cell_h
                front, back = (bg, fg) if reverse else (fg, bg)
                draw.rectangle([x, y, x + cell_w, y + cell_h], fill=back)
                draw.text((x, y + 1), char, font=font, fill=front)
                col += 1
    target.parent.mkdir(parents=True, exist_ok=True)
    image.save(target)
    return True
