#!/usr/bin/env bash
# Builds the S3-compatible server the store tests start (versitygw, the Versity S3 Gateway, Apache-2.0) from its Go
# module into ~/.cache/prefloop/s3-server/, once; later runs find it there. Needs Go (>= 1.24) and the Go module proxy.
# Measured on a 2-core machine: ~3.5 min cold (module download + build, ~700 MB RSS), 0 s when cached.
set -euo pipefail
VERSION=v1.8.0
DEST="${PREFLOOP_CACHE:-$HOME/.cache/prefloop}/s3-server/versitygw-$VERSION"
if [ -x "$DEST/versitygw" ]; then
  echo "S3 test server: $DEST/versitygw"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "S3 test server: Go is needed to build versitygw $VERSION (apt-get install golang, or https://go.dev/dl)" >&2
  exit 1
fi
echo "S3 test server: go install github.com/versity/versitygw/cmd/versitygw@$VERSION (a few minutes, once)"
start=$(date +%s)
mkdir -p "$DEST.tmp"
# GOFLAGS=-mod=mod: build from the module as published, whatever GOFLAGS the environment has.
GOBIN="$DEST.tmp" GOFLAGS=-mod=mod go install "github.com/versity/versitygw/cmd/versitygw@$VERSION"
rm -rf "$DEST" && mv "$DEST.tmp" "$DEST"
echo "S3 test server: built in $(( $(date +%s) - start ))s -> $DEST/versitygw"
