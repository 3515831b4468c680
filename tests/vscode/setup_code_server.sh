#!/usr/bin/env bash
# Builds the real VS Code the UI tests drive: code-server 4.100.3 (VS Code 1.100.3) from the npm
# registry alone, its native modules compiled here, plus puppeteer-core for headless Chromium.
# usage: tests/vscode/setup_code_server.sh [PREFIX]   (default .test-tools/code-server)
# Idempotent: a stamp file records a finished build. Needs g++, make, pkg-config, libkrb5-dev,
# ripgrep and chromium from apt (scripts/install-test-tools.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=4.100.3  # the newest code-server whose engines accept Node 20 (4.103+ want Node 22)
PREFIX=$(mkdir -p "${1:-.test-tools/code-server}" && cd "${1:-.test-tools/code-server}" && pwd)
STAMP="$PREFIX/.built-$VERSION"
BIN="$PREFIX/node_modules/.bin/code-server"

# puppeteer-core drives the system Chromium; it downloads no browser of its own.
if [ ! -d tests/vscode/node_modules/puppeteer-core ]; then
  npm ci --prefix tests/vscode --no-audit --no-fund --loglevel=error
fi

if [ -f "$STAMP" ] && [ -x "$BIN" ]; then
  exit 0
fi
if ! command -v node >/dev/null || ! command -v rg >/dev/null; then
  echo "setup_code_server: node and ripgrep are needed" >&2
  exit 1
fi
echo "setup_code_server: building code-server $VERSION in $PREFIX (several minutes)" >&2
start=$(date +%s)
# --ignore-scripts: code-server's postinstall would download ripgrep from GitHub; below we do what
# it does with the registry's sources and the system's ripgrep instead.
npm install --no-save --no-audit --no-fund --ignore-scripts --loglevel=error \
  --prefix "$PREFIX" "code-server@$VERSION"
VS="$PREFIX/node_modules/code-server/lib/vscode"
(
  cd "$VS"
  npm install --no-audit --no-fund --omit=dev --ignore-scripts --loglevel=error
  mkdir -p node_modules/@vscode/ripgrep/bin
  ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
  # Native modules (node-pty, spdlog, kerberos, watcher...) compile against the system Node;
  # node-pty's build step calls npx, which must not stop to ask.
  npm_config_yes=true npm_config_nodedir=/usr npm rebuild --loglevel=error
  ln -sfn node_modules node_modules.asar
  (cd bin/remote-cli && ln -sf code-linux.sh code-server)
  (cd bin/helpers && ln -sf browser-linux.sh browser.sh)
  (cd extensions && npm install --no-audit --no-fund --omit=dev --loglevel=error)
)
# argon2 hashes passwords (unused with --auth none); its install script would fetch a prebuilt.
(cd "$PREFIX" && npm_config_nodedir=/usr npm rebuild argon2 --build-from-source --loglevel=error)
XDG_CONFIG_HOME="$PREFIX/xdg" XDG_DATA_HOME="$PREFIX/xdg" "$BIN" --version
touch "$STAMP"
echo "setup_code_server: built in $(($(date +%s) - start)) s" >&2
