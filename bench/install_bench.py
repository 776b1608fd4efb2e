"""From `pip install posezoo` to the first keypoints, as a new user gets there, with no build:

    python bench/install_bench.py --site DIR [--no-cache] [--wheel FILE]

Builds the wheel (`python -m build --wheel`, unless --wheel names one), makes a fresh venv, and
times `pip install` of the wheel alone (the package index gives its requirements; --no-cache makes
pip download every one, as on a new machine, where by default pip's cache serves what it already
holds). Then it serves DIR (a built site: catalog.json and models/ beside it, `posezoo site`'s
build/site) on 127.0.0.1, points $POSEZOO_CATALOG at it as the published site would be, and times
the README's notebook lines (`install` snippet) twice in a fresh interpreter each: the first run
downloads and verifies the catalog and the model's files into an empty cache, the second finds them
there. It prints the install's size (the venv's site-packages less a bare venv's), each time, and
the whole: install to first keypoints.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def readme_lines(marker: str = "install") -> str:
    """The first Python block between README.md's snippet markers `marker`, as a user copies it."""
    text = (ROOT / "README.md").read_text("utf-8")
    section = text.split(f"[start:{marker}]")[1].split(f"[end:{marker}]")[0]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    if found is None:
        raise ValueError(f"README.md: no python block between the {marker} markers")
    return found.group(1)


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages"))


def timed(command: list, **kwargs) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True, **kwargs)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{command[0]} failed: {result.stderr.strip().splitlines()[-1:]}")
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, required=True, help="a built site: catalog.json and models/")
    parser.add_argument("--wheel", type=Path, help="the wheel to install (default: built from this checkout)")
    parser.add_argument("--no-cache", action="store_true", help="pip downloads every requirement afresh")
    args = parser.parse_args()
    from tests.served import ServedFolder

    with tempfile.TemporaryDirectory(prefix="posezoo-install-") as scratch:
        work = Path(scratch)
        wheel = args.wheel
        if wheel is None:
            timed([sys.executable, "-m", "build", "--wheel", "--outdir", work / "dist", ROOT])
            wheel = next((work / "dist").glob("*.whl"))
        wheel_bytes = wheel.stat().st_size
        venv = work / "venv"
        timed([sys.executable, "-m", "venv", venv])
        bare = folder_bytes(site_packages(venv))
        pip = [venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        install_s, _ = timed([*pip, *(["--no-cache-dir"] if args.no_cache else []), wheel])
        installed = folder_bytes(site_packages(venv)) - bare

        served = ServedFolder(args.site)
        env = {
            "POSEZOO_CATALOG": served.url("catalog.json"),
            "POSEZOO_CACHE": str(work / "cache"),
            "PATH": "/usr/bin",
            "HOME": str(work),
        }
        try:
            first_s, first = timed([venv / "bin" / "python", "-c", readme_lines()], env=env, cwd=work)
            again_s, _ = timed([venv / "bin" / "python", "-c", readme_lines()], env=env, cwd=work)
        finally:
            served.stop()
        downloaded = folder_bytes(work / "cache")

    print(f"wheel                {wheel.name}: {wheel_bytes / 1e3:,.0f} kB")
    print(f"installed            {installed / 2**20:,.0f} MiB in site-packages (a bare venv's pip excluded)")
    source = "every requirement downloaded" if args.no_cache else "pip's cache"
    print(f"pip install          {install_s:6.1f} s ({source})")
    print(f"first keypoints      {first_s:6.1f} s (fresh interpreter, empty cache: {downloaded / 2**20:.1f} MiB in)")
    print(f"again, cached        {again_s:6.1f} s")
    print(f"install to keypoints {install_s + first_s:6.1f} s")
    print(f"keypoints            {first.stdout.strip().splitlines()[-1]}")


if __name__ == "__main__":
    main()
