#!/usr/bin/env python3
"""The README's commands, needing nothing but Python 3.11+ on a fresh machine.

    python3 dev.py serve            # venv + install + migrate + demo data, then serve :5000
    python3 dev.py test [ARGS...]   # venv + install + test tools, then the whole test suite
    python3 dev.py bench [NAME...]  # benchmarks (installs the peer libraries they compare)
    python3 dev.py i18n             # extract UI strings and update the English catalogue

ARGS go to pytest, e.g. ``python3 dev.py test -k vietqr`` or ``--require-postgres``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
# Debian packages the tests drive: pdftoppm rasterises placards for the scan-back tests;
# Chromium runs the browser tests (Playwright drives it; it never downloads a browser).
TEST_SYSTEM_PACKAGES = {"pdftoppm": "poppler-utils", "chromium": "chromium"}


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs under any python3
        sys.exit(f"market4 needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        return 2
    return COMMANDS[argv[0]](argv[1:])


def serve(args: list[str]) -> int:
    ensure_venv(extras=())
    env = {**os.environ, "MARKET4_ENV": os.environ.get("MARKET4_ENV", "development")}
    run([str(BIN / "market4"), "setup", "--demo-if-empty"], env=env)
    print("market4 is at http://127.0.0.1:5000 (Ctrl+C to stop)", flush=True)
    return run(
        [str(BIN / "market4"), "run", "--host", "127.0.0.1", "--port", "5000", *args],
        env=env,
        check=False,
    )


def test(args: list[str]) -> int:
    ensure_venv(extras=("test",))
    ensure_system_packages(TEST_SYSTEM_PACKAGES)
    # Style first: a few seconds, and a failure says which files to format.
    ruff = str(BIN / "ruff")
    for check in ([ruff, "format", "--check", "."], [ruff, "check", "."]):
        if run(check, cwd=ROOT, check=False) != 0:
            print(f"`{' '.join(check[1:])}` failed (`.venv/bin/ruff format .` fixes layout)")
            return 1
    return run([str(PYTHON), "-m", "pytest", *parallel(args), *args], check=False)


def parallel(args: list[str]) -> list[str]:
    """One pytest worker per core (pytest-xdist), each test file kept on one worker so its
    module fixtures (a built wheel, a seeded demo) are made once; ``-n 0`` turns it off."""
    if any(arg == "-n" or arg.startswith(("-n", "--numprocesses")) for arg in args):
        return []
    return ["-n", "auto", "--dist", "loadfile"]


def bench(args: list[str]) -> int:
    ensure_venv(extras=("test", "bench"))
    names = args or [p.stem for p in sorted((ROOT / "benchmarks").glob("bench_*.py"))]
    status = 0
    for name in names:
        module = name if name.startswith("bench_") else f"bench_{name}"
        print(f"\n=== benchmarks/{module}.py ===", flush=True)
        status |= run([str(PYTHON), "-m", f"benchmarks.{module}"], check=False)
    return status


def i18n(args: list[str]) -> int:
    """Refresh market4/translations/en from the Vietnamese source strings; translators
    then fill in the empty msgstr entries (tests fail while any is missing)."""
    ensure_venv(extras=("test",))
    pybabel = str(BIN / "pybabel")
    catalogue_dir = ROOT / "market4" / "translations"
    template = catalogue_dir / "messages.pot"
    catalogue_dir.mkdir(exist_ok=True)
    run(
        [
            pybabel,
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "N_",
            "--no-location",
            "--sort-output",
            "-o",
            str(template),
            ".",
        ],
        cwd=ROOT,
    )
    english = catalogue_dir / "en" / "LC_MESSAGES" / "messages.po"
    action = "update" if english.exists() else "init"
    extra = ["--no-fuzzy-matching", "--ignore-obsolete"] if action == "update" else []
    return run(
        [pybabel, action, "-i", str(template), "-d", str(catalogue_dir), "-l", "en", *extra],
        cwd=ROOT,
    )


def ensure_venv(extras: tuple[str, ...]) -> None:
    """Create .venv and install the project, again only when pyproject.toml changed."""
    if not PYTHON.exists():
        print("Creating the virtual environment in .venv …", flush=True)
        run([sys.executable, "-m", "venv", str(VENV)])
        run([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    wanted = ",".join(extras)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + wanted.encode()).hexdigest()
    stamp = VENV / f".market4-installed-{wanted or 'base'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    target = f".[{wanted}]" if wanted else "."
    print(f"Installing market4{f'[{wanted}]' if wanted else ''} into .venv …", flush=True)
    run([str(PYTHON), "-m", "pip", "install", "--quiet", "--editable", target], cwd=ROOT)
    stamp.write_text(digest)


def ensure_system_packages(packages: dict[str, str]) -> None:
    """Install missing Debian packages when we can (root + apt); otherwise say what to do."""
    missing = sorted({pkg for tool, pkg in packages.items() if shutil.which(tool) is None})
    if not missing:
        return
    can_install = shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0
    if not can_install:
        print(
            f"Note: missing {' '.join(missing)}; tests that need them will be skipped. "
            f"Install with: sudo apt-get install {' '.join(missing)}",
            flush=True,
        )
        return
    print(f"Installing Debian packages: {' '.join(missing)} …", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update", "-qq"], env=env)
    run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env)


def run(command: list[str], *, check: bool = True, **kwargs) -> int:
    completed = subprocess.run(command, **kwargs)
    if check and completed.returncode != 0:
        sys.exit(completed.returncode)
    return completed.returncode


COMMANDS = {"serve": serve, "test": test, "bench": bench, "i18n": i18n}

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
