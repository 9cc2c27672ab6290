<#
    tests/Install-TestPrerequisites.ps1, which `./build.ps1 Test` runs first: on an empty cache it
    installs Pester 5.7.1 (PowerShell Gallery through the registered repository's name, bounded
    by a timeout, else NuGet) and the Python venv from the wheels, and says what it installed;
    on a second run it finds both and installs nothing.

    Nothing here leaves loopback: each run is a child pwsh with its own HOME (so its own
    PSResourceGet repository list), the "Gallery" is either a registered local folder
    repository or a loopback port that accepts and never answers, and NuGet is a local folder
    feed (-NuGetSource) holding the Pester package this suite itself runs on.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:Installer = Join-Path (Get-RepoRoot) 'tests/Install-TestPrerequisites.ps1'
    # The wheels beside the clone (../shared/wheels), or beside the folder of git worktrees.
    $parent = Split-Path -Parent (Get-RepoRoot)
    $grandparent = Split-Path -Parent $parent
    $script:Wheels = @($env:BASTION_WHEELS_DIR, (Join-Path $parent 'shared/wheels'), $(if ($grandparent) { Join-Path $grandparent 'shared/wheels' })) |
        Where-Object { $_ -and (Test-Path -LiteralPath $_) } | Select-Object -First 1
    if (-not $Wheels) { $script:Wheels = Join-Path $parent 'shared/wheels' }

    # A local feed with Pester 5.7.1: the package next to the running Pester when it came from
    # NuGet, else one packed from the running module.
    $script:Feed = Join-Path $TestDrive 'feed'
    New-Item -ItemType Directory -Force $Feed | Out-Null
    $base = (Get-Module Pester).ModuleBase
    $nupkg = @((Join-Path (Split-Path -Parent $base) 'pester.5.7.1.nupkg'), (Join-Path $base 'pester.5.7.1.nupkg')) | Where-Object { Test-Path -LiteralPath $_ } | Select-Object -First 1
    if ($nupkg) {
        Copy-Item -LiteralPath $nupkg -Destination $Feed
    } else {
        $stage = Join-Path $TestDrive 'stage'
        New-Item -ItemType Directory -Force (Join-Path $stage 'tools') | Out-Null
        Copy-Item -Path (Join-Path $base '*') -Destination (Join-Path $stage 'tools') -Recurse
        Set-Content -LiteralPath (Join-Path $stage 'pester.nuspec') -Value '<?xml version="1.0"?><package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"><metadata><id>Pester</id><version>5.7.1</version><authors>Pester</authors><description>Pester</description></metadata></package>'
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        [System.IO.Compression.ZipFile]::CreateFromDirectory($stage, (Join-Path $Feed 'pester.5.7.1.nupkg'))
    }

    function script:Invoke-Installer {
        <# Runs the installer in a child pwsh with its own HOME; returns @{ Output; Results; Seconds }. #>
        param([string] $Cache, [string] $Arguments, [string] $Setup = '', [hashtable] $Environment = @{})
        $childHome = Join-Path $TestDrive ('home-' + [guid]::NewGuid().ToString('N'))
        # PSResourceGet keeps its repository list under LocalApplicationData, which .NET reports
        # only when the folder exists (else '' and the list lands in the working directory).
        New-Item -ItemType Directory -Force (Join-Path $childHome '.local/share'), (Join-Path $childHome '.config') | Out-Null
        $childEnvironment = @{
            HOME = $childHome; XDG_DATA_HOME = (Join-Path $childHome '.local/share'); XDG_CONFIG_HOME = (Join-Path $childHome '.config')
            DOTNET_CLI_HOME = $childHome; NUGET_PACKAGES = (Join-Path $childHome 'nuget-packages')
            BASTION_CACHE_DIR = $null; BASTION_PESTER_PSD1 = $null; BASTION_PYTHON = $null; BASTION_WHEELS_DIR = $null
        }
        foreach ($k in $Environment.Keys) { $childEnvironment[$k] = $Environment[$k] }
        $script = @"
`$ErrorActionPreference = 'Stop'
$Setup
`$results = & '$Installer' -CacheDir '$Cache' $Arguments
'RESULTS:' + (@(`$results) | ConvertTo-Json -Compress -Depth 3)
"@
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $child = Invoke-ChildPwsh -Script $script -Environment $childEnvironment -TimeoutSec 600
        $sw.Stop()
        $line = @($child.StdOut -split "`n" | Where-Object { $_ -like 'RESULTS:*' }) | Select-Object -Last 1
        $results = if ($line) { @($line.Substring(8) | ConvertFrom-Json) } else { @() }
        [pscustomobject]@{ Output = $child.StdOut + $child.StdErr; Results = $results; Seconds = $sw.Elapsed.TotalSeconds; ExitCode = $child.ExitCode }
    }
}

# The installer prepares the build machine that runs ./build.ps1 Test (dotnet restore, python3 -m venv):
# the Windows lane's test host under wine has neither tool, and nothing of it ships in the module,
# so there it is skipped, visibly.
Describe 'Install-TestPrerequisites.ps1' -Skip:([System.IO.Path]::DirectorySeparatorChar -eq [char]'\') {
    BeforeAll {
        # A "Gallery" that accepts connections and never answers.
        $script:Hanging = New-Object System.Net.Sockets.TcpListener ([System.Net.IPAddress]::Loopback), 0
        $Hanging.Start()
        $script:HangingUrl = 'http://127.0.0.1:{0}/api/v2' -f $Hanging.LocalEndpoint.Port
        $script:Cache = Join-Path $TestDrive 'cache-empty'
    }
    AfterAll { if ($script:Hanging) { $Hanging.Stop() } }

    It 'on an empty cache with a Gallery that does not answer: Pester from NuGet after the timeout, the venv from the wheels, and says so' {
        Test-Path -LiteralPath $Wheels | Should -BeTrue -Because "the venv is built from the wheels at $Wheels"
        $run = Invoke-Installer -Cache $Cache -Setup "Register-PSResourceRepository -Name HangingGallery -Uri '$HangingUrl' -ApiVersion V2 -Trusted" `
            -Arguments "-GalleryRepository HangingGallery -GalleryTimeoutSec 15 -NuGetSource '$Feed' -WheelsDir '$Wheels'"
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Output | Should -Match "repository 'HangingGallery'\) did not answer within 15 s"
        $run.Output | Should -Match 'installed Pester 5\.7\.1 from NuGet'
        $run.Output | Should -Match 'installed the Python venv with azure-mgmt-network'
        $pester = $run.Results | Where-Object Name -eq 'Pester 5.7.1'
        $pester.Status | Should -Be 'Installed'
        $pester.Path | Should -Be (Join-Path $Cache 'nuget/pester/5.7.1/tools/Pester.psd1')
        (Import-PowerShellDataFile -LiteralPath $pester.Path).ModuleVersion | Should -Be '5.7.1'
        $python = $run.Results | Where-Object Name -like 'Python venv*'
        $python.Status | Should -Be 'Installed'
        & $python.Path -c 'import azure.mgmt.network'
        $LASTEXITCODE | Should -Be 0
        # Bounded: the hanging Gallery cost its 15 s, not the child's 600.
        $run.Seconds | Should -BeLessThan 300
    }

    It 'a second run on the same cache finds both and installs nothing' {
        $run = Invoke-Installer -Cache $Cache -Arguments "-GalleryRepository NoSuchRepository -NuGetSource '$(Join-Path $TestDrive 'no-feed')' -WheelsDir '$(Join-Path $TestDrive 'no-wheels')'"
        $run.ExitCode | Should -Be 0 -Because $run.Output
        @($run.Results | ForEach-Object Status) | Should -Be @('Found', 'Found')
        $run.Output | Should -Not -Match 'installed'
        $run.Output | Should -Match 'found in the cache'
    }

    It 'the Gallery path: Save-PSResource from the registered repository, into the cache''s modules folder' {
        $cache = Join-Path $TestDrive 'cache-gallery'
        $run = Invoke-Installer -Cache $cache -Setup "Register-PSResourceRepository -Name LocalGallery -Uri '$Feed' -Trusted" `
            -Arguments "-GalleryRepository LocalGallery -NuGetSource '$(Join-Path $TestDrive 'no-feed')' -WheelsDir '$(Join-Path $TestDrive 'no-wheels')'"
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Output | Should -Match "installed Pester 5\.7\.1 from the PowerShell Gallery \(repository 'LocalGallery'\)"
        $pester = $run.Results | Where-Object Name -eq 'Pester 5.7.1'
        $pester.Path | Should -BeLike (Join-Path $cache 'modules/Pester/5.7.1/*Pester.psd1')
        Test-Path -LiteralPath $pester.Path | Should -BeTrue
    }

    It 'nothing reachable: says why for each prerequisite and returns, leaving the suites to fail' {
        $run = Invoke-Installer -Cache (Join-Path $TestDrive 'cache-none') -Arguments "-GalleryRepository NoSuchRepository -NuGetSource '$(Join-Path $TestDrive 'no-feed')' -WheelsDir '$(Join-Path $TestDrive 'no-wheels')'"
        $run.ExitCode | Should -Be 0 -Because $run.Output
        @($run.Results | ForEach-Object Status) | Should -Be @('Failed', 'Failed')
        $run.Output | Should -Match "no repository named 'NoSuchRepository' is registered"
        $run.Output | Should -Match 'set BASTION_PESTER_PSD1'
        $run.Output | Should -Match 'no-wheels does not exist'
    }
}
