#!/usr/bin/env bash
# The Windows lane of `pwsh ./build.ps1 Test`: the win-x64 build tested on Windows under wine.
#
#   run-lane.sh DLL EMULATOR_EXE MODULE_DIR
#     DLL           the release bastion_session_ffi.dll (what the package ships)
#     EMULATOR_EXE  bastion-emulator.exe built for the same target
#     MODULE_DIR    the built module with that DLL in bin/win-x64/, laid out on purpose in a
#                   folder whose path has spaces and non-ASCII letters
#
# Steps (any failure fails the lane, and so the Test run):
#   1. the DLL on Linux: its import table (Windows system DLLs only, no MinGW runtime DLL),
#      exports, version resource = crate version, no symbols (tests/windows/Test-WindowsDll.ps1);
#   2. set-up: the Windows PowerShell 7.6.9 test host (build-host.sh, cached), a wine prefix
#      of the lane's own under the cache dir (never ~/.wine) with the test-only
#      bcryptprimitives.dll stub (wine 8 lacks it), smoke.exe from tests/c/smoke.c (mingw);
#   3. inside a private network namespace (unshare -n; only `lo` exists, so no packet can
#      leave loopback), every wineserver started outside it stopped first:
#      a. the C smoke test: smoke.exe against emulator.exe on 127.0.0.1, under wine;
#      b. the Pester suite (tests/pester + tests/windows/Windows.Tests.ps1) in the Windows
#         pwsh.exe under wine, importing the module from MODULE_DIR.
# Every wine process gets AZURE_TOKEN_CREDENTIALS=EnvironmentCredential and no Azure
# variables, so no credential chain can reach IMDS; every call names its endpoint.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/tests/windows
CACHE=${BASTION_CACHE_DIR:-${HOME:-/root}/.cache/bastionsession}
OUT=$ROOT/out/windows-lane
HOST_DIR=$CACHE/windows-host/pwsh-7.6.9
TOKEN=emulator-token
SMOKE_LOOPS=${SMOKE_LOOPS:-200}
PESTER_TIMEOUT_SEC=${WINDOWS_PESTER_TIMEOUT_SEC:-2400}

fail() { echo "run-lane.sh: FAILED: $*" >&2; exit 1; }
say() { echo "run-lane.sh: $*"; }
# Linux path -> the path a wine process sees (drive Z: is the Linux root).
winpath() { local p=${1//\//\\}; printf 'Z:%s' "$p"; }

wine_environment() {
    export WINEPREFIX=$CACHE/wine/prefix-$(wine --version | tr -c 'A-Za-z0-9.\n-' _)
    export WINEARCH=win64 WINEDEBUG=${WINEDEBUG:--all}
    unset DISPLAY WAYLAND_DISPLAY
    # The module's path has non-ASCII letters: wine converts the environment with the locale.
    export LANG=C.UTF-8 LC_ALL=C.UTF-8
    # .NET's W^X double mapping of JIT code crashes the CLR under wine 8 ("Internal CLR
    # error" in a finalizer); Windows does not need this.
    export DOTNET_EnableWriteXorExecute=0
    export POWERSHELL_TELEMETRY_OPTOUT=1 POWERSHELL_UPDATECHECK=Off DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
    # No credential chain may fall through to IMDS; nothing may pick up a real identity or proxy.
    export AZURE_TOKEN_CREDENTIALS=EnvironmentCredential NO_PROXY=127.0.0.1,localhost
    unset AZURE_CLIENT_ID AZURE_CLIENT_SECRET AZURE_TENANT_ID AZURE_CLIENT_CERTIFICATE_PATH AZURE_FEDERATED_TOKEN_FILE \
        IDENTITY_ENDPOINT IDENTITY_HEADER MSI_ENDPOINT MSI_SECRET IMDS_ENDPOINT AZURE_SUBSCRIPTION_ID \
        HTTPS_PROXY HTTP_PROXY https_proxy http_proxy ALL_PROXY all_proxy BASTION_SESSION_NATIVE_PATH
}

inside_namespace() {
    local dll=$1 emulator=$2 module_dir=$3
    ip link set lo up || fail "could not bring up lo in the private network namespace"
    local links
    links=$(ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')
    [[ $links == "lo " ]] || fail "the lane's network namespace has interfaces besides lo: $links"
    say "network namespace: only lo ($(ip -o -4 addr show lo | awk '{print $4}'))"
    wine_environment

    # a. C smoke test under wine against the Windows emulator.
    say "C smoke test: smoke.exe ($SMOKE_LOOPS loop rounds) against bastion-emulator.exe under wine"
    rm -f "$OUT/emulator.in" "$OUT/emulator.out"
    mkfifo "$OUT/emulator.in"
    wine "$emulator" --port 0 --token "$TOKEN" --hosts 3 --sessions-per-host 5 \
        <"$OUT/emulator.in" >"$OUT/emulator.out" 2>"$OUT/emulator.err" &
    local emulator_pid=$!
    exec 3>"$OUT/emulator.in"
    local url=""
    for _ in $(seq 1 300); do
        url=$(head -n1 "$OUT/emulator.out" 2>/dev/null | sed -n 's#^listening on \(http://[^ ]*\).*#\1#p' | tr -d '\r')
        [[ -n $url ]] && break
        kill -0 "$emulator_pid" 2>/dev/null || break
        sleep 0.1
    done
    if [[ -z $url ]]; then
        exec 3>&-
        cat "$OUT/emulator.err" >&2 || true
        fail "bastion-emulator.exe did not start under wine (no 'listening on' line within 30 s)"
    fi
    case $url in http://127.0.0.1:*) ;; *) fail "the emulator listens on $url, not on 127.0.0.1" ;; esac
    say "emulator.exe at $url"
    local smoke_status=0
    (cd "$OUT" && wine ./smoke.exe "$url" "$TOKEN" "$SMOKE_LOOPS") || smoke_status=$?
    exec 3>&-
    wait "$emulator_pid" || true
    ((smoke_status == 0)) || fail "the C smoke test failed under wine (exit $smoke_status)"

    # b. The Pester suite in Windows PowerShell 7.6.9 under wine. PowerShell's console host
    #    needs a console, which wine gives a process only when one of its standard handles
    #    is a terminal: `script` provides one (stderr), stdout goes through tee to the log.
    say "Pester suite in Windows PowerShell 7.6.9 under wine (module at $module_dir)"
    export BASTION_MODULE_PATH BASTION_EMULATOR BASTION_PESTER_PSD1 BASTION_WINDOWS_DLL BASTION_PESTER_PATHS
    BASTION_MODULE_PATH=$(winpath "$module_dir/BastionSession.psd1")
    BASTION_EMULATOR=$(winpath "$emulator")
    BASTION_WINDOWS_DLL=$(winpath "$dll")
    BASTION_PESTER_PSD1=$(winpath "$PESTER_PSD1")
    # WINDOWS_LANE_PESTER_PATHS (Windows paths, comma-separated) narrows a local run.
    BASTION_PESTER_PATHS=${WINDOWS_LANE_PESTER_PATHS:-"$(winpath "$ROOT/tests/pester"),$(winpath "$HERE/Windows.Tests.ps1")"}
    export BASTION_TEST_SCHEMA2_STUB
    # The $env: race test guards against glibc's setenv; 1,000 calls under wine prove the same
    # request-borne settings on Windows at a tenth of the Linux lane's cost.
    export BASTION_ENV_RACE_CALLS=${BASTION_ENV_RACE_CALLS:-1000}
    BASTION_TEST_SCHEMA2_STUB=$(winpath "$OUT/stub_schema2.dll")
    local pester_status=0
    cat >"$OUT/pester-runner.sh" <<RUNNER
set -o pipefail
wine "$HOST_DIR/pwsh.exe" -NoProfile -NonInteractive -File '$(winpath "$HERE/Invoke-WindowsPester.ps1")' | tee "$OUT/pester.log"
RUNNER
    timeout --kill-after=30 "$PESTER_TIMEOUT_SEC" script -qec "bash '$OUT/pester-runner.sh'" /dev/null </dev/null || pester_status=$?
    wineserver -k || true
    ((pester_status == 0)) || fail "the Pester suite failed under wine (exit $pester_status; log: $OUT/pester.log)"
    say "Windows lane passed"
}

if [[ ${1:-} == --inside-namespace ]]; then
    shift
    inside_namespace "$@"
    exit 0
fi

[[ $# -eq 3 ]] || fail "usage: run-lane.sh DLL EMULATOR_EXE MODULE_DIR"
DLL=$(realpath "$1")
EMULATOR=$(realpath "$2")
MODULE_DIR=$(realpath "$3")
[[ -f $DLL ]] || fail "no DLL at $1"
[[ -f $EMULATOR ]] || fail "no emulator at $2"
[[ -f $MODULE_DIR/BastionSession.psd1 && -f $MODULE_DIR/bin/win-x64/bastion_session_ffi.dll ]] \
    || fail "$3 is not the built module with bin/win-x64/bastion_session_ffi.dll"
for tool in wine wineserver wineboot x86_64-w64-mingw32-gcc x86_64-w64-mingw32-objdump unshare ip script timeout pwsh; do
    command -v "$tool" >/dev/null || fail "'$tool' is not installed (.ci/run installs wine, wine64, gcc-mingw-w64-x86-64, iproute2, util-linux)"
done
PESTER_PSD1=${BASTION_PESTER_PSD1:-$CACHE/nuget/pester/5.7.1/tools/Pester.psd1}
[[ -f $PESTER_PSD1 ]] || fail "Pester 5.7.1 is not at $PESTER_PSD1 (set BASTION_PESTER_PSD1; .ci/run installs it)"
export PESTER_PSD1
mkdir -p "$OUT"
started=$SECONDS

# 1. The DLL itself.
say "checking $DLL (imports, exports, version resource, symbols)"
pwsh -NoProfile -NonInteractive -File "$HERE/Test-WindowsDll.ps1" -Path "$DLL" || fail "the DLL check failed"

# 2. Set-up.
bash "$HERE/build-host.sh" || fail "could not build the Windows PowerShell test host"
wine_environment
if [[ ! -f $WINEPREFIX/.bastion-ready ]]; then
    say "creating the lane's wine prefix $WINEPREFIX"
    rm -rf "$WINEPREFIX"
    mkdir -p "$(dirname "$WINEPREFIX")"
    # No Mono/Gecko installers: the lane needs neither.
    WINEDLLOVERRIDES="mscoree,mshtml=" wineboot -i || fail "wineboot could not create $WINEPREFIX"
    wine reg add 'HKCU\Software\Wine' /v Version /d win10 /f >/dev/null || fail "could not set the prefix to Windows 10"
    wineserver -w
    touch "$WINEPREFIX/.bastion-ready"
fi
x86_64-w64-mingw32-gcc -shared -O2 -Wall -Wextra -Werror -s -o "$OUT/bcryptprimitives.dll" "$HERE/bcryptprimitives.c" -ladvapi32 \
    || fail "could not build the bcryptprimitives.dll stub"
cp "$OUT/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
cp "$DLL" "$OUT/bastion_session_ffi.dll"
# The schema-2 stand-in of Module.Tests.ps1 (there is no C compiler under wine).
x86_64-w64-mingw32-gcc -shared -O1 -DSCHEMA=2 -o "$OUT/stub_schema2.dll" "$ROOT/tests/pester/fixtures/stub_ffi.c" \
    || fail "could not build the schema-2 stub DLL"
x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -Werror -O1 -I "$ROOT/include" "$ROOT/tests/c/smoke.c" \
    "$OUT/bastion_session_ffi.dll" -o "$OUT/smoke.exe" || fail "could not build smoke.exe with mingw"

# 3. Stop every wineserver of this prefix started outside the namespace: a Windows process
#    would otherwise run in that server's network namespace and not see ours.
wineserver -k 2>/dev/null || true
wineserver -w 2>/dev/null || true
say "set-up done in $((SECONDS - started)) s; entering a private network namespace"
# As root, a plain network namespace; otherwise one inside a user namespace.
unshare_args=(--net)
unshare --net true 2>/dev/null || unshare_args=(--map-root-user --net)
unshare "${unshare_args[@]}" true || fail "cannot create a private network namespace (unshare ${unshare_args[*]}): the lane will not run with the host's network"
status=0
unshare "${unshare_args[@]}" -- bash "$0" --inside-namespace "$DLL" "$EMULATOR" "$MODULE_DIR" || status=$?
say "Windows lane took $((SECONDS - started)) s"
exit $status
