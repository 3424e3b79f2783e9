"""`make mutate`: mutation testing of the money rules (mutmut), with a score per module.

mutmut names a mutant by its file's path and expects the tests to import the module by that
same dotted name, from ``./``, ``src/`` or ``source/``. Our layer lives in ``layers/common`` and
the tests import ``goalpost.rules...``, so the run happens in a staging folder (``.mutate/``)
where the layer's ``goalpost`` package sits at the top, beside a copy of the unit tests: the
layer's path mapped, the repository untouched.

Scores count the mutants a test reaches: killed / (killed + survived + timed out). Mutants that
no unit test runs are "unreached" and listed: for money code that is a gap to close, not a pass.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGE = ROOT / ".mutate"
MUTATED = ["goalpost/rules/*.py", "goalpost/model/money.py", "goalpost/model/ids.py"]
"""The money rules: every rule module, amounts and rounding, the id formats."""
REPO_SCANS = ["tests/unit/test_one_clock.py", "tests/unit/test_one_environment.py"]
"""Unit tests that read the repository's files rather than the rules: meaningless in the stage."""
TIMEOUT_MULTIPLIER, TIMEOUT_CONSTANT = 10.0, 2.0
"""A mutant's tests may take this many times their unmutated duration plus 2 s, then it is a
timeout (an infinite loop the mutation made), counted as killed by mutmut."""

PYPROJECT = f"""\
[tool.pytest.ini_options]
testpaths = ["tests/unit"]
pythonpath = ["."]
addopts = "-q -p no:cacheprovider"

[tool.mutmut]
source_paths = ["goalpost"]
only_mutate = {MUTATED!r}
also_copy = ["goalpost_local", "template.yaml"]
pytest_add_cli_args_test_selection = ["tests/unit"]
pytest_add_cli_args = {[f"--ignore={path}" for path in REPO_SCANS]!r}
timeout_multiplier = {TIMEOUT_MULTIPLIER}
timeout_constant = {TIMEOUT_CONSTANT}
"""


def stage() -> None:
    """The layer's package at the top of a fresh folder, with the unit tests and their helpers."""
    if STAGE.exists():
        shutil.rmtree(STAGE)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "layers/common/goalpost", STAGE / "goalpost", ignore=ignore)
    shutil.copytree(ROOT / "goalpost_local", STAGE / "goalpost_local", ignore=ignore)
    shutil.copytree(ROOT / "tests/unit", STAGE / "tests/unit", ignore=ignore)
    for name in ("__init__.py", "conftest.py", "helpers.py"):
        shutil.copy(ROOT / "tests" / name, STAGE / "tests" / name)
    shutil.copy(ROOT / "template.yaml", STAGE / "template.yaml")  # unit tests of the template read it
    (STAGE / "pyproject.toml").write_text(PYPROJECT)


def results() -> dict[str, Counter[str]]:
    """mutmut's verdict for every mutant, counted per module."""
    listing = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        cwd=STAGE,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    by_module: dict[str, Counter[str]] = defaultdict(Counter)
    survivors: list[str] = []
    for line in listing.splitlines():
        found = re.match(r"\s*(goalpost\.[\w.]+?)\.x_?\w*__mutmut_\d+: (.+)$", line.strip())
        if not found:
            continue
        module, verdict = found.group(1), found.group(2).strip()
        by_module[module][verdict] += 1
        if verdict == "survived":
            survivors.append(line.strip().split(":")[0])
    (STAGE / "survivors.txt").write_text("\n".join(survivors) + "\n")
    return by_module


def report(by_module: dict[str, Counter[str]]) -> bool:
    """The table; True when every module scores at least 90 % of its reachable mutants."""
    print(f"\n{'module':<32}{'mutants':>8}{'killed':>8}{'survived':>9}{'unreached':>10}{'score':>8}")
    ok = True
    totals: Counter[str] = Counter()
    for module in sorted(by_module):
        counts = by_module[module]
        totals.update(counts)
        killed = counts["killed"] + counts["timeout"]
        reachable = killed + counts["survived"]
        score = 100 * killed / reachable if reachable else 100.0
        ok = ok and score >= 90
        print(
            f"{module:<32}{sum(counts.values()):>8}{killed:>8}{counts['survived']:>9}"
            f"{counts['no tests']:>10}{score:>7.1f}%"
        )
    killed = totals["killed"] + totals["timeout"]
    reachable = killed + totals["survived"]
    print(
        f"{'all':<32}{sum(totals.values()):>8}{killed:>8}{totals['survived']:>9}"
        f"{totals['no tests']:>10}{100 * killed / max(reachable, 1):>7.1f}%"
    )
    print(f"\nsurvivors: {STAGE / 'survivors.txt'} (`cd .mutate && ../.venv/bin/mutmut show NAME`)")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--report-only", action="store_true", help="print the last run's table")
    args = parser.parse_args()
    if not args.report_only:
        stage()
        print(f"mutmut: {len(MUTATED)} patterns, unit tests; progress in {STAGE / 'run.log'}", flush=True)
        with (STAGE / "run.log").open("w") as log:
            subprocess.run(
                [sys.executable, "-m", "mutmut", "run"], cwd=STAGE, check=True, stdout=log, stderr=log
            )
    sys.exit(0 if report(results()) else 1)


if __name__ == "__main__":
    main()
