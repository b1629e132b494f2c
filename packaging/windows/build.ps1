<#
.SYNOPSIS
    Build Loupe for Windows: PyInstaller bundle, then an Inno Setup installer.

.DESCRIPTION
    Run from the project's virtual environment (after `pip install -e ".[package]"`), in PowerShell:
        .\packaging\windows\build.ps1 [-Variant cuda|cpu|untrimmed] [-SkipInstaller] [-SkipSmoke]
    Output:
        packaging\dist\Loupe\                                  Loupe.exe (windowed), loupe-cli.exe (console)
        packaging\dist\Loupe-<version>-windows-x64[-cpu]-setup.exe   the installer
    Needs Inno Setup 6 (ISCC.exe on PATH or in its default folder) unless -SkipInstaller.
#>
param(
    [ValidateSet("cuda", "cpu", "untrimmed")] [string] $Variant = "cuda",
    [switch] $SkipInstaller,
    [switch] $SkipSmoke,
    [string] $Python = "python"
)

$ErrorActionPreference = "Stop"
$Root = (Resolve-Path (Join-Path $PSScriptRoot "..\..")).Path
Set-Location $Root

# The version has one home: core\__init__.py.
$match = Select-String -Path (Join-Path $Root "core\__init__.py") -Pattern '^__version__\s*=\s*["'']([^"'']+)["'']'
if (-not $match) { throw "could not read __version__ from core\__init__.py" }
$Version = $match.Matches[0].Groups[1].Value

& $Python -m PyInstaller --version *> $null
if ($LASTEXITCODE -ne 0) {
    throw "PyInstaller is not installed for '$Python'. Activate the project's venv and run: pip install -e "".[package]"""
}

Write-Host "== Loupe $Version, variant $Variant"
$env:LOUPE_BUNDLE_VARIANT = $Variant
$dist = Join-Path $Root "packaging\dist"
$timer = [System.Diagnostics.Stopwatch]::StartNew()
& $Python -m PyInstaller --noconfirm --log-level WARN `
    --distpath $dist --workpath (Join-Path $Root "packaging\build") (Join-Path $Root "packaging\loupe.spec")
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed ($LASTEXITCODE)" }
$timer.Stop()
$bundle = Join-Path $dist "Loupe"
$bytes = (Get-ChildItem $bundle -Recurse -File | Measure-Object -Property Length -Sum).Sum
Write-Host ("== PyInstaller: {0:N0} s, bundle {1:N2} GB" -f $timer.Elapsed.TotalSeconds, ($bytes / 1GB))

# loupe-cli.exe is the console twin of Loupe.exe: the windowed one has no stdout to print to.
$cli = Join-Path $bundle "loupe-cli.exe"
if (-not $SkipSmoke -and (Select-String -Path (Join-Path $Root "main.py") -Pattern "--self-test" -SimpleMatch -Quiet)) {
    Write-Host "== smoke test: loupe-cli.exe --self-test"
    & $cli --self-test
    if ($LASTEXITCODE -ne 0) { throw "the bundled self-test failed ($LASTEXITCODE)" }
}

if ($SkipInstaller) { return }

$iscc = Get-Command "ISCC.exe" -ErrorAction SilentlyContinue
if ($iscc) { $iscc = $iscc.Source }
else {
    $iscc = @(
        "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe",
        "$env:ProgramFiles\Inno Setup 6\ISCC.exe",
        "$env:LOCALAPPDATA\Programs\Inno Setup 6\ISCC.exe"
    ) | Where-Object { Test-Path $_ } | Select-Object -First 1
}
if (-not $iscc) { throw "ISCC.exe (Inno Setup 6) not found; install it or pass -SkipInstaller" }

Write-Host "== Inno Setup: $iscc"
$suffix = if ($Variant -eq "cpu") { "-cpu" } else { "" }
& $iscc "/DMyAppVersion=$Version" "/DMyOutputSuffix=$suffix" (Join-Path $Root "packaging\windows\loupe.iss")
if ($LASTEXITCODE -ne 0) { throw "ISCC failed ($LASTEXITCODE)" }
Write-Host "== installer: $(Join-Path $dist "Loupe-$Version-windows-x64$suffix-setup.exe")"
