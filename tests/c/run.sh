#!/usr/bin/env bash
# Builds tests/c/smoke.c against the committed include/bastion_session.h, starts the ARM
# emulator (target/debug/bastion-emulator --port 0, real HTTP on 127.0.0.1), runs the smoke
# test, then runs it again under valgrind with a loop of >= 10,000 calls. There is no
# stand-in: if the library or the emulator does not build, or the emulator does not start,
# the script fails.
#
# Environment: SMOKE_LOOPS (default 1700 rounds = 10,200+ calls), SKIP_VALGRIND=1.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
DEBUG=$TARGET/debug
OUT=$TARGET/c-smoke
TOKEN=emulator-token
LOOPS=${SMOKE_LOOPS:-1700}
mkdir -p "$OUT"

fail() {
    echo "run.sh: FAILED: $*" >&2
    exit 1
}

cd "$ROOT"
cargo build -p bastion_session_ffi || fail "the C library (bastion_session_ffi) did not build"
cargo build -p bastion-emulator || fail "the ARM emulator (bastion-emulator) did not build"
[[ -x $DEBUG/bastion-emulator ]] || fail "$DEBUG/bastion-emulator is missing after the build"

gcc -std=c11 -Wall -Wextra -Werror -O1 -g -I "$ROOT/include" "$ROOT/tests/c/smoke.c" \
    -L "$DEBUG" -lbastion_session_ffi -Wl,-rpath,"$DEBUG" -o "$OUT/smoke"

SERVER_PID=
cleanup() {
    exec 3>&- 2>/dev/null || true
    if [[ -n $SERVER_PID ]]; then
        # Closing its stdin stops the server; give it 5 s, then stop it by its pid.
        for _ in $(seq 1 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -f "$OUT/server.in"
}
trap cleanup EXIT

# Starts "$@" with its stdin on a FIFO we hold open (closing it stops the server); sets URL.
start_server() {
    rm -f "$OUT/server.in" "$OUT/server.out"
    mkfifo "$OUT/server.in"
    "$@" <"$OUT/server.in" >"$OUT/server.out" 2>"$OUT/server.err" &
    SERVER_PID=$!
    exec 3>"$OUT/server.in"
    URL=
    for _ in $(seq 1 100); do
        URL=$(head -n1 "$OUT/server.out" 2>/dev/null | sed -n 's#^listening on \(http://[^ ]*\).*#\1#p')
        [[ -n $URL ]] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    exec 3>&-
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
    return 1
}

if ! start_server "$DEBUG/bastion-emulator" --port 0 --token "$TOKEN" --hosts 3 --sessions-per-host 5; then
    echo "run.sh: the emulator's stderr:" >&2
    cat "$OUT/server.err" >&2 || true
    fail "the ARM emulator did not start (it printed no 'listening on' line within 10 s)"
fi
echo "run.sh: emulator at $URL"

"$OUT/smoke" "$URL" "$TOKEN" || fail "the smoke test failed against the emulator at $URL"

if [[ ${SKIP_VALGRIND:-0} != 1 ]]; then
    command -v valgrind >/dev/null || fail "valgrind is not installed (set SKIP_VALGRIND=1 to skip that run on purpose)"
    status=0
    valgrind --leak-check=full --error-exitcode=1 --errors-for-leak-kinds=definite \
        --log-file="$OUT/valgrind.log" "$OUT/smoke" "$URL" "$TOKEN" "$LOOPS" || status=$?
    grep -E 'Command:|total heap usage|ERROR SUMMARY|definitely lost:|indirectly lost:|possibly lost:|still reachable:' "$OUT/valgrind.log" | sed 's/^==[0-9]*== /valgrind: /' || true
    ((status == 0)) || fail "the smoke test under valgrind exited $status (log: $OUT/valgrind.log)"
else
    echo "run.sh: SKIPPED the valgrind run (SKIP_VALGRIND=1)" >&2
fi
echo "run.sh: C smoke test passed"
