"""Mutation testing of the domain's rule modules with mutmut (``make mutants``; not in CI).

mutmut changes one small thing in a rule module at a time ("a mutant": ``<`` for ``<=``,
another constant, a dropped argument) and runs the tests that reach the changed function;
a mutant the tests let pass ("survived") is a rule nobody pins. The modules and the test
selection are configured in ``pyproject.toml`` (``[tool.mutmut]``): the domain and page
tests, on SQLite only (``STAMMTISCH_TEST_DBS=sqlite``), a migrated template database made
once (``STAMMTISCH_SQLITE_TEMPLATE``) instead of once per mutant, and made again when the
migrations change. Coverage is collected over that whole selection; the mutants themselves
are checked module by module, each with its own tests only (``tests/domain/test_<module>.py``
plus ``MODULE_TESTS``): a rule is pinned where it is tested, and the run stays within about
an hour on two cores instead of running every page test against every mutant.

Usage (``make mutants MUTANTS_ARGS="..."``):

    .venv/bin/python bench/mutants.py                      # every mutant not yet decided
    .venv/bin/python bench/mutants.py --module privacy     # only these modules (repeatable)
    .venv/bin/python bench/mutants.py --recheck            # survivors again, after new tests
    .venv/bin/python bench/mutants.py --report             # only rewrite bench/mutants.md

Resumable: results are kept per mutant in ``mutants/`` (git-ignored); an interrupted run
(Ctrl-C, or SIGTERM, passed on to mutmut as Ctrl-C) continues where it stopped, and a
result file left broken by a hard kill is thrown away and its module mutated again.
``--fresh`` starts over. mutmut re-mutates a function whose source changed and collects
coverage for new tests, but keeps earlier verdicts: after adding tests, ``--recheck``.
Survivors whose explanation says only PostgreSQL can show them (it begins with
"PostgreSQL:") run again on PostgreSQL, which ``make mutants`` installs and starts as
``make test`` does; they count as killed only when the module's tests fail there.
Mutants left "no tests" (a new function that only older tests call) make the run collect
the coverage of all tests again, once, and check them.

The summary goes to ``bench/mutants.md``: per module killed, timed out, survived, no
tests; every survivor with its diff and, from ``bench/mutants_equivalent.toml``, why it
cannot change behaviour (or "not explained").
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tomllib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
REPORT = ROOT / "bench" / "mutants.md"
EQUIVALENT = ROOT / "bench" / "mutants_equivalent.toml"
HISTORY = ROOT / "bench" / "mutants_history.md"  # the figures before, kept by hand
TEMPLATE = MUTANTS / "template.db"
PG_RESULTS = MUTANTS / "postgresql.json"
# An explanation beginning with this says: only PostgreSQL can show the mutant (a lock, a
# race, an order SQLite happens to keep, a PostgreSQL-only branch). Such a survivor is run
# on PostgreSQL with its module's tests; it counts as killed only when they fail there.
PG_PREFIX = "PostgreSQL:"
TARGET = 0.90

# mutmut's exit codes per mutant (mutmut.stats.status_by_exit_code), grouped for the table.
STATUS = {
    1: "killed",
    3: "killed",
    36: "timeout",
    24: "timeout",
    -24: "timeout",
    152: "timeout",
    255: "timeout",
    0: "survived",
    5: "no tests",
    33: "no tests",
    None: "not run",
}
INTERRUPTED = {2, -2, -15}  # the check was interrupted (Ctrl-C, SIGTERM): decide it again
UNDECIDED = ("survived", "no tests")
# Besides tests/domain/test_<module>.py, the tests that pin a module's rules from outside:
# the predicates of meeting_rules are asked by registrations and meetings, the feed is
# built by ics, the accounts by the login throttle, sessions and team accounts, the public
# forms' limits by rate_limits.
MODULE_TESTS = {
    "meeting_rules": ("tests/domain/test_meetings.py", "tests/domain/test_registrations.py"),
    "feed": ("tests/domain/test_ics.py",),
    "ics": ("tests/domain/test_feed.py",),
    "organizers": (
        "tests/domain/test_login_throttle.py",
        "tests/domain/test_organizer_sessions.py",
        "tests/domain/test_team_accounts.py",
    ),
    "registrations": (
        "tests/domain/test_registration_races.py",
        "tests/domain/test_rate_limits.py",
        "tests/domain/test_subscriptions.py",
    ),
    # The public forms count against the limits of rate_limits, pinned in its tests.
    "offers": ("tests/domain/test_rate_limits.py",),
    "suggestions": ("tests/domain/test_rate_limits.py",),
    # Team messages, fresh links and announcements are pinned with the subscriptions.
    "registration_admin": ("tests/domain/test_subscriptions.py",),
    "meeting_admin": ("tests/domain/test_subscriptions.py",),
}


def rule_modules() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    return [Path(p).stem for p in config["only_mutate"]]


def meta_path(module: str) -> Path:
    return MUTANTS / "stammtisch" / f"{module}.py.meta"


def load_results(module: str) -> dict[str, int | None]:
    path = meta_path(module)
    if not path.exists():
        return {}
    return json.loads(path.read_text())["exit_code_by_key"]


def repair() -> None:
    """Drop result files a hard kill left broken and forget interrupted checks."""
    for module in rule_modules():
        path = meta_path(module)
        if not path.exists():
            continue
        try:
            meta = json.loads(path.read_text())
        except ValueError:
            print(f"{path.relative_to(ROOT)} is broken: {module} is mutated again")
            path.unlink()
            (MUTANTS / "stammtisch" / f"{module}.py").unlink(missing_ok=True)
            continue
        codes = meta["exit_code_by_key"]
        interrupted = [k for k, v in codes.items() if v in INTERRUPTED]
        if interrupted:
            for key in interrupted:
                codes[key] = None
            path.write_text(json.dumps(meta, indent=4))


def _schema_stamp() -> str:
    """A hash of the migrations: a template made from other migrations is made again."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "stammtisch" / "migrations").rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def prepare_template() -> None:
    """One migrated SQLite database that every test session copies."""
    stamp_file = TEMPLATE.with_suffix(".stamp")
    stamp = _schema_stamp()
    if TEMPLATE.exists() and stamp_file.exists() and stamp_file.read_text() == stamp:
        return
    TEMPLATE.unlink(missing_ok=True)
    sys.path.insert(0, str(ROOT))
    from stammtisch.db import make_engine, migrate

    MUTANTS.mkdir(exist_ok=True)
    partial = TEMPLATE.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{partial}")
    migrate(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    for suffix in ("-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    partial.rename(TEMPLATE)
    stamp_file.write_text(stamp)


def module_tests(module: str) -> list[str]:
    """The tests a module's mutants are checked with: its own test module, plus those
    named in MODULE_TESTS."""
    return [f"tests/domain/test_{module}.py", *MODULE_TESTS.get(module, ())]


def run_mutmut(
    names: list[str],
    max_children: int,
    *,
    quiet: bool = False,
    tests: dict[str, list[str]] | None = None,
) -> int:
    """Run mutmut; SIGTERM is passed on as Ctrl-C so it stops cleanly and keeps results.

    ``tests`` (module -> paths) narrows the tests mutmut picks per mutant (by coverage)
    to its module's paths (tests/conftest.py deselects the others); without it every
    covering test runs."""
    env = {
        **os.environ,
        "STAMMTISCH_TEST_DBS": "sqlite",
        "STAMMTISCH_SQLITE_TEMPLATE": str(TEMPLATE),
    }
    env.pop("STAMMTISCH_REQUIRE_PG", None)
    env.pop("STAMMTISCH_MUTANT_TESTS", None)
    if tests:
        env["STAMMTISCH_MUTANT_TESTS"] = json.dumps(tests)
    command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(max_children)]
    output = subprocess.DEVNULL if quiet else None
    proc = subprocess.Popen([*command, *names], cwd=ROOT, env=env, stdout=output, stderr=output)

    def pass_on(_signum, _frame):
        proc.send_signal(signal.SIGINT)

    previous = {s: signal.signal(s, pass_on) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        return proc.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def select_names(modules: list[str], recheck: bool) -> list[str]:
    wanted = {"not run", *(UNDECIDED if recheck else ())}
    return [
        name
        for module in modules
        for name, code in load_results(module).items()
        if STATUS.get(code, "other") in wanted
    ]


def mutant_diff(name: str) -> str:
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    module = name.split(".")[1]
    try:
        lines = get_diff_for_mutant(name, path=Path("stammtisch") / f"{module}.py").splitlines()
    except Exception as exc:  # a diff is a courtesy in the report, never a reason to fail
        return f"(kein Diff: {exc})"
    return "\n".join(line for line in lines[2:] if line.startswith(("+", "-", "@")))


def _explanations() -> dict[str, dict[str, str]]:
    return tomllib.loads(EQUIVALENT.read_text()) if EQUIVALENT.exists() else {}


def _function_hash(module: str, name: str) -> str:
    function = name.split(".", 2)[2].rsplit("__mutmut_", 1)[0]
    meta = json.loads(meta_path(module).read_text())
    return meta["hash_by_function_name"].get(function, "")


def _pg_key(module: str, name: str) -> str:
    """What a PostgreSQL verdict depends on: the mutated function and the module's tests."""
    digest = hashlib.sha256(_function_hash(module, name).encode())
    for path in module_tests(module):
        digest.update(path.encode() + b"\0" + (ROOT / path).read_bytes())
    return digest.hexdigest()[:16]


def _pg_results() -> dict[str, dict]:
    return json.loads(PG_RESULTS.read_text()) if PG_RESULTS.exists() else {}


def _run_on_postgresql(name: str | None, tests: list[str]) -> int:
    """pytest over ``tests`` on PostgreSQL in the mutated copy, with mutant ``name``
    switched on (None: none); pytest's exit code (1: a test failed)."""
    env = {**os.environ, "STAMMTISCH_TEST_DBS": "postgresql", "STAMMTISCH_REQUIRE_PG": "1"}
    for key in ("STAMMTISCH_MUTANT_TESTS", "MUTANT_UNDER_TEST"):
        env.pop(key, None)
    if name:
        env["MUTANT_UNDER_TEST"] = name
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"]
    command += ["-p", "no:randomly", *tests]
    done = subprocess.run(command, cwd=MUTANTS, env=env, capture_output=True)
    return done.returncode


def check_on_postgresql(modules: list[str], max_children: int) -> None:
    """Run every SQLite survivor explained as PostgreSQL-only on PostgreSQL.

    Results go to ``mutants/postgresql.json``, keyed by mutant with a hash of its function
    and its module's tests: a mutant is checked again when either changed (resumable)."""
    reasons = _explanations()
    results = _pg_results()
    todo = [
        (module, name)
        for module in modules
        for name, code in load_results(module).items()
        if STATUS.get(code) == "survived"
        and reasons.get(module, {}).get(name.split(".", 2)[2], "").startswith(PG_PREFIX)
        and results.get(name, {}).get("hash") != _pg_key(module, name)
    ]
    if not todo:
        return
    paths = sorted({path for module, _ in todo for path in module_tests(module)})
    print(f"{len(todo)} survivors only PostgreSQL can show: running them on PostgreSQL")
    if _run_on_postgresql(None, paths) != 0:
        print("  the tests fail on PostgreSQL without any mutant (is PostgreSQL installed?")
        print("  make mutants installs it): these survivors stay unchecked")
        return

    def check(item: tuple[str, str]) -> tuple[str, str, int]:
        module, name = item
        return module, name, _run_on_postgresql(name, module_tests(module))

    with ThreadPoolExecutor(max_children) as pool:
        for module, name, code in pool.map(check, todo):
            verdict = {1: "killed", 0: "survived"}.get(code, f"error {code}")
            results[name] = {"hash": _pg_key(module, name), "verdict": verdict}
            PG_RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True))
            print(f"  {verdict}: {name}")


def write_report(modules: list[str]) -> bool:
    """Write bench/mutants.md; True when every module reaches the target."""
    reasons = _explanations()
    pg = _pg_results()
    rows, survivors, all_met = [], [], True
    for module in modules:
        results = load_results(module)
        counts = Counter(STATUS.get(code, "other") for code in results.values())
        decided = len(results) - counts["not run"]
        explained = reasons.get(module, {})
        left = sorted(
            (name for name, code in results.items() if STATUS.get(code) in UNDECIDED),
            key=lambda n: (n.rsplit("__mutmut_", 1)[0], int(n.rsplit("_", 1)[1])),
        )
        pg_status = {}
        for name in left:
            reason = explained.get(name.split(".", 2)[2], "")
            if not reason.startswith(PG_PREFIX):
                continue
            checked = pg.get(name, {})
            if checked.get("hash") != _pg_key(module, name):
                pg_status[name] = "not yet run on PostgreSQL"
            elif checked["verdict"] == "killed":
                pg_status[name] = "killed on PostgreSQL"
            else:
                pg_status[name] = f"PostgreSQL: {checked['verdict']}"
        pg_killed = sum(1 for v in pg_status.values() if v == "killed on PostgreSQL")
        caught = counts["killed"] + counts["timeout"] + pg_killed
        share = caught / decided if decided else 0.0
        # A survivor is explained when it cannot change behaviour, or when PostgreSQL
        # (which make test runs as well) kills it as its explanation says.
        unexplained = [
            n
            for n in left
            if n.split(".", 2)[2] not in explained
            or pg_status.get(n, "killed on PostgreSQL") != "killed on PostgreSQL"
        ]
        met = bool(results) and not counts["not run"] and share >= TARGET and not unexplained
        all_met &= met
        rows.append(
            f"| {module} | {len(results)} | {counts['killed']} | {counts['timeout']} "
            f"| {pg_killed} | {counts['survived'] - pg_killed} | {counts['no tests']} "
            f"| {counts['other']} | {counts['not run']} | {share:.1%} "
            f"| {len(left) - len(unexplained)}/{len(left)} | {'yes' if met else 'no'} |"
        )
        for name in left:
            key = name.split(".", 2)[2]
            status = pg_status.get(name, STATUS[results[name]])
            survivors.append((module, key, status, explained.get(key), name))
    lines = [
        "# Mutation testing of the rule modules",
        "",
        f"Written by `make mutants` (`bench/mutants.py`, mutmut) on "
        f"{datetime.now():%Y-%m-%d %H:%M}. Coverage over `tests/domain` and `tests/pages`; each "
        "module's mutants checked with its own tests (`MODULE_TESTS`), on SQLite; the survivors "
        "only PostgreSQL can show (their explanation begins with "
        f"`{PG_PREFIX}`) run again with the same tests on PostgreSQL.",
        "Killed % = (killed + timed out + killed on PostgreSQL) / mutants run. Target: at least "
        f"{TARGET:.0%} per module; every survivor explained in `bench/mutants_equivalent.toml`, "
        "as unable to change behaviour or as killed on PostgreSQL.",
        "",
        "| module | mutants | killed | timed out | killed on PostgreSQL | survived | no tests "
        "| other | not run | killed % | survivors explained | target met |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        *rows,
        "",
        "## Survivors",
        "",
    ]
    if not survivors:
        lines.append("None.")
    stale = [
        f"{module}.{key}"
        for module in modules
        for key in reasons.get(module, {})
        if STATUS.get(load_results(module).get(f"stammtisch.{module}.{key}"), "gone")
        not in UNDECIDED
    ]
    current = None
    for module, key, status, reason, name in survivors:
        if module != current:
            lines += [f"### {module}", ""]
            current = module
        if not reason:
            reason = "**not explained**"
        elif status.startswith("not yet run"):
            reason = f"**not yet checked on PostgreSQL.** {reason}"
        elif status.startswith("PostgreSQL:"):
            reason = f"**not explained: PostgreSQL does not kill it either.** {reason}"
        lines += [
            f"- `{key}` ({status}): {reason}",
            "",
            "  ```diff",
            *(f"  {line}" for line in mutant_diff(name).splitlines()),
            "  ```",
            "",
        ]
    if stale:  # explained once, now killed or gone: the explanation can go
        lines += ["## Explanations without a survivor", "", *(f"- `{s}`" for s in stale), ""]
    if HISTORY.exists():
        lines += ["", HISTORY.read_text().rstrip()]
    REPORT.write_text("\n".join(lines).rstrip() + "\n")
    print(f"wrote {REPORT.relative_to(ROOT)}")
    return all_met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", action="append", choices=rule_modules(), default=[])
    parser.add_argument("--recheck", action="store_true", help="run survivors again")
    parser.add_argument("--report", action="store_true", help="only write the report")
    parser.add_argument("--fresh", action="store_true", help="forget every earlier result")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    os.chdir(ROOT)
    modules = args.module or rule_modules()
    if args.fresh:
        shutil.rmtree(MUTANTS, ignore_errors=True)
    if args.report and not any(meta_path(m).exists() for m in modules):
        # No results here (a fresh clone, another worktree): keep the committed report.
        print("no results in mutants/ to report on: run make mutants first")
        return 2
    if not args.report:
        repair()
        prepare_template()
        # Mutate changed functions and collect coverage of new tests first, over the whole
        # test selection: mutmut does that, then stops at a pattern that names no mutant
        # (its expected complaint about that is not shown).
        print("mutating, collecting coverage of new tests ...")
        run_mutmut(["stammtisch.none-selected.*"], args.max_children, quiet=True)
        if not all(meta_path(m).exists() for m in modules):
            print("mutmut could not prepare the mutants; run it without --module to see why")
            return 2
        names = select_names(modules, args.recheck)
        for module in modules:
            print(f"{module}: checked with {', '.join(module_tests(module))}")
        tests = {module: module_tests(module) for module in modules}
        code = run_mutmut(names, args.max_children, tests=tests) if names else 0
        repair()
        # mutmut collects coverage for new tests only: a new function that old tests call
        # (a helper split out of a rule) has "no tests". Once per run, collect the coverage
        # of every test again and check those mutants.
        uncovered = [
            name
            for module in modules
            for name, exit_code in load_results(module).items()
            if STATUS.get(exit_code) == "no tests"
        ]
        if uncovered and code in (0, 1):
            print(f"{len(uncovered)} mutants without tests: collecting coverage of all tests")
            (MUTANTS / "mutmut-stats.json").unlink(missing_ok=True)
            code = run_mutmut(uncovered, args.max_children, tests=tests)
            repair()
        if code not in (0, 1):
            print(f"mutmut stopped with exit code {code}; run again to continue")
        else:
            check_on_postgresql(modules, args.max_children)
    met = write_report(modules)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
