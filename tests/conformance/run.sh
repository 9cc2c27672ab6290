#!/usr/bin/env bash
# Conformance of bastion-emulator against the official Azure SDK for Python.
# Usage: tests/conformance/run.sh [path/to/bastion-emulator]
# Creates the venv from ../shared/wheels when it is missing (no network), builds the
# emulator when no binary is given, and exits non-zero on any failure, including a
# missing python or SDK.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${BASTION_CONFORMANCE_VENV:-/root/.cache/bastionsession/venv}"
wheels="${BASTION_WHEELS:-$repo/../shared/wheels}"

if [[ ! -x "$venv/bin/python" ]]; then
    command -v python3 >/dev/null || { echo "conformance: FAILED: python3 not found" >&2; exit 2; }
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --no-index --find-links "$wheels" \
        azure-mgmt-network azure-core azure-mgmt-core \
        || { echo "conformance: FAILED: cannot install the Azure SDK from $wheels" >&2; exit 2; }
fi

binary="${1:-${BASTION_EMULATOR:-}}"
if [[ -z "$binary" ]]; then
    (cd "$repo" && cargo build --quiet -p bastion-emulator --bin bastion-emulator)
    binary="$(cd "$repo" && cargo metadata --format-version 1 --no-deps \
        | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug/bastion-emulator"
fi
BASTION_EMULATOR="$binary" exec "$venv/bin/python" "$here/test_python_sdk.py"
