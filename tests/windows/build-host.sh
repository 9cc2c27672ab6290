#!/usr/bin/env bash
# Builds the Windows test host of the Windows lane: PowerShell 7.6.9 for win-x64, self-contained
# (its own .NET 10 runtime), from NuGet, into the cache outside the clone:
#   $BASTION_CACHE_DIR/windows-host/pwsh-7.6.9/   (default cache: ~/.cache/bastionsession)
# 1. dotnet publish tests/windows/host (Microsoft.PowerShell.SDK 7.6.9 + the win-x64 runtime pack);
# 2. the Windows build's Modules/ folder (Microsoft.PowerShell.Utility, .Management ...) from the
#    PowerShell 7.6.9 tool package, which .ci/run installs (dotnet tool install PowerShell);
# 3. powershell.config.json with the execution policy a Windows install of PowerShell ships
#    (RemoteSigned): without it Windows' default, Restricted, refuses every .ps1 file.
# Idempotent: does nothing when the host is there and was built from the same sources.
# Fails loudly when a piece is missing. Test-only: nothing of it is shipped.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${BASTION_CACHE_DIR:-${HOME:-/root}/.cache/bastionsession}
PWSH_VERSION=7.6.9
DEST=$CACHE/windows-host/pwsh-$PWSH_VERSION
PROJECT=$ROOT/tests/windows/host/BastionWindowsTestHost.csproj

fail() { echo "build-host.sh: FAILED: $*" >&2; exit 1; }

stamp=$(cat "$PROJECT" "$ROOT/tests/windows/host/Program.cs" "$0" | sha256sum | cut -c1-16)
if [[ -x $DEST/pwsh.exe && -f $DEST/Modules/Microsoft.PowerShell.Utility/Microsoft.PowerShell.Utility.psd1 \
      && "$(cat "$DEST/.stamp" 2>/dev/null)" == "$stamp" ]]; then
    echo "build-host.sh: Windows PowerShell $PWSH_VERSION test host is up to date in $DEST"
    exit 0
fi

command -v dotnet >/dev/null || fail "dotnet (the .NET SDK) is not installed"
modules=""
for candidate in "$CACHE"/pwsh-$PWSH_VERSION/.store/powershell/$PWSH_VERSION/powershell/$PWSH_VERSION/tools/net*/any/win/Modules; do
    [[ -d $candidate ]] && modules=$candidate
done
if [[ -z $modules ]]; then
    # pwsh installed some other way (a package, an MSI) has no Windows Modules/ folder: take it
    # from the PowerShell tool package, installed into the cache once.
    echo "build-host.sh: installing the PowerShell $PWSH_VERSION tool package into $CACHE/pwsh-$PWSH_VERSION for its Windows Modules/ folder"
    dotnet tool install PowerShell --version "$PWSH_VERSION" --tool-path "$CACHE/pwsh-$PWSH_VERSION" >/dev/null \
        || fail "could not install the PowerShell $PWSH_VERSION tool package from NuGet"
    for candidate in "$CACHE"/pwsh-$PWSH_VERSION/.store/powershell/$PWSH_VERSION/powershell/$PWSH_VERSION/tools/net*/any/win/Modules; do
        [[ -d $candidate ]] && modules=$candidate
    done
fi
[[ -n $modules ]] || fail "the Windows Modules/ folder of the PowerShell $PWSH_VERSION tool package is not in $CACHE/pwsh-$PWSH_VERSION (.ci/run installs it: dotnet tool install PowerShell --version $PWSH_VERSION --tool-path $CACHE/pwsh-$PWSH_VERSION)"

work=$CACHE/windows-host/build
rm -rf "$DEST" "$work"
mkdir -p "$work"
echo "build-host.sh: dotnet publish -r win-x64 (Microsoft.PowerShell.SDK $PWSH_VERSION from NuGet) into $DEST"
# obj/ and bin/ go to the cache, never into the clone.
dotnet publish "$PROJECT" -c Release -o "$DEST" --nologo -v quiet \
    -p:BaseIntermediateOutputPath="$work/obj/" -p:BaseOutputPath="$work/bin/" \
    || fail "dotnet publish of the Windows test host failed (is NuGet reachable? Microsoft.PowerShell.SDK $PWSH_VERSION, runtime pack win-x64)"
[[ -f $DEST/pwsh.exe && -f $DEST/System.Management.Automation.dll ]] || fail "the publish did not produce pwsh.exe and System.Management.Automation.dll"
cp -r "$modules" "$DEST/Modules"
cat > "$DEST/powershell.config.json" <<'JSON'
{
  "Microsoft.PowerShell:ExecutionPolicy": "RemoteSigned"
}
JSON
rm -rf "$work"
echo "$stamp" > "$DEST/.stamp"
echo "build-host.sh: Windows PowerShell $PWSH_VERSION test host built in $DEST ($(du -sh "$DEST" | cut -f1))"
