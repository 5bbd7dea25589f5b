"""After the test suite: no file it produced may contain a test key.

Usage: leak_check.py KEYS_FILE ARTIFACTS_DIR REPO_DIR

Scans every file under ARTIFACTS_DIR (the suite's --basetemp and whatever tests
wrote there) and every untracked file in REPO_DIR for (a) each key value the tests
registered in KEYS_FILE and (b) any provider-shaped key the secret scanner knows.
Files under a directory named `planted` hold secrets on purpose (to prove a
refusal) and are skipped. Binary files are searched for the registered keys only: the
provider rules match strings such as PEM headers inside shared libraries. Exits 1 and
names the file (never the key) on a leak.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runtime.secrets.scanner import scan_text

PROVIDER_RULES_ONLY = True  # generic entropy hits on binary files are noise, not leaks


def candidate_files(artifacts: Path, repo: Path, keys_file: Path) -> list[Path]:
    files = [p for p in artifacts.rglob("*") if p.is_file() and p != keys_file]
    untracked = subprocess.run(
        ["git", "ls-files", "--others", "--exclude-standard"],
        cwd=repo, capture_output=True, text=True, check=False,
    ).stdout.split()
    files += [repo / name for name in untracked if (repo / name).is_file()]
    return [p for p in files if "planted" not in p.parts]


def main() -> int:
    keys_file, artifacts, repo = (Path(a) for a in sys.argv[1:4])
    keys = []
    if keys_file.exists():
        keys = [k for k in keys_file.read_text(encoding="utf-8").splitlines() if len(k) >= 8]
    leaks = []
    scanned = 0
    for path in candidate_files(artifacts, repo, keys_file):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if len(data) > 64 * 1024 * 1024:
            continue
        scanned += 1
        text = data.decode("utf-8", errors="replace")
        if any(key in text for key in keys):
            leaks.append(f"{path}: holds a registered test key")
            continue
        if b"\0" in data[:8192]:
            continue  # a binary (e.g. the bundle's OpenSSL libraries name PEM headers): keys only
        hits = [h for h in scan_text(text) if h.rule not in {"high-entropy", "keyword-assignment"}]
        if hits:
            leaks.append(f"{path}: holds {hits[0].description}")
    print(f"leak check: {scanned} files scanned, {len(keys)} registered test keys, "
          f"{len(leaks)} leak(s)")
    for leak in leaks:
        print(f"  LEAK {leak}")
    return 1 if leaks else 0


if __name__ == "__main__":
    sys.exit(main())
