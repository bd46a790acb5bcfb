# Builds the Windows desktop bundle dist\Segue (Segue.exe for the window, segue-cli.exe for the
# terminal: Segue.exe has no console) with PyInstaller, and proves it complete with its own
# --self-test. One command, from PowerShell:
#
#     powershell -ExecutionPolicy Bypass -File scripts\build-windows.ps1
#
# Needs Python 3.11+ from python.org (the `py` launcher). Uses .venv, created here if missing;
# -Python C:\path\python.exe uses that interpreter as it is (it must have Segue's dependencies
# and PyInstaller). Output: dist\Segue\ and dist\Segue-<version>-windows-x64.zip.
param([string]$Python = "")
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")

if ($Python -eq "") {
    if (-not (Test-Path ".venv\Scripts\python.exe")) {
        # The py launcher where there is one (python.org installs), else the python on PATH (CI).
        if (Get-Command py -ErrorAction SilentlyContinue) { py -3.11 -m venv .venv } else { python -m venv .venv }
        if ($LASTEXITCODE -ne 0) { throw "could not create .venv (Python 3.11+ needed)" }
    }
    $Python = ".venv\Scripts\python.exe"
    & $Python -m pip install -q --upgrade pip
    & $Python -m pip install -q -e ".[build]"
    if ($LASTEXITCODE -ne 0) { throw "pip install failed" }
}

$env:OPENBLAS_NUM_THREADS = "1"
$watch = [System.Diagnostics.Stopwatch]::StartNew()
& $Python -m PyInstaller --noconfirm --clean --log-level WARN build.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }
Write-Host ("build-windows: PyInstaller took {0:N0} s" -f $watch.Elapsed.TotalSeconds)

$env:QT_QPA_PLATFORM = "offscreen"
& dist\Segue\segue-cli.exe --self-test
if ($LASTEXITCODE -ne 0) { throw "self-test failed" }
Remove-Item Env:\QT_QPA_PLATFORM

$version = & $Python -c "from player import __version__; print(__version__)"
$zip = "dist\Segue-$version-windows-x64.zip"
if (Test-Path $zip) { Remove-Item $zip }
Compress-Archive -Path dist\Segue -DestinationPath $zip
$size = (Get-ChildItem dist\Segue -Recurse | Measure-Object -Property Length -Sum).Sum / 1MB
Write-Host ("build-windows: bundle {0:N0} MiB, archive {1}" -f $size, $zip)
