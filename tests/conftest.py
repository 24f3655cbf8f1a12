"""Shared fixtures: a fresh database per test, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from stammtisch.clock import parse_instant
from stammtisch.db import make_engine, migrate
from tests.pgserver import PostgresServer, start_server

# The situation of the original web page: 06.12.2021 open, four meetings ahead.
SEED_NOW = parse_instant("2021-11-20T12:00:00+01:00")
TEMPLATE_DB = "stammtisch_template"
# Which databases the domain tests run on. The mutation run (make mutants) uses
# STAMMTISCH_TEST_DBS=sqlite: it tests rules, not dialects, and starts no server.
TEST_DBS = [
    name.strip()
    for name in os.environ.get("STAMMTISCH_TEST_DBS", "sqlite,postgresql").split(",")
    if name.strip()
]


def _pg_required() -> bool:
    return (
        os.environ.get("CI", "").lower() == "true" or os.environ.get("STAMMTISCH_REQUIRE_PG") == "1"
    )


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> Iterator[None]:
    """argon2id with the lowest cost: tests create hundreds of accounts, and the cost only
    protects stored hashes, which a test database does not have. Same algorithm and format;
    a real server rehashes such a hash with its own cost at the next login."""
    from argon2 import PasswordHasher

    from stammtisch import organizers

    patch = pytest.MonkeyPatch()
    patch.setattr(organizers, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def fresh_statement_cache() -> Iterator[None]:
    """The registration INSERT is built once per process and kept; each test builds its
    own, so a change to the rule that builds it (as the mutation run makes) is seen."""
    from stammtisch import registrations

    registrations._insert_registration.cache_clear()
    yield


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    if "postgresql" not in TEST_DBS:
        pytest.skip("PostgreSQL left out by STAMMTISCH_TEST_DBS")
    try:
        server = start_server()
    except RuntimeError as exc:
        if _pg_required():
            pytest.fail(f"PostgreSQL is required for this run: {exc}")
        pytest.skip(f"no PostgreSQL server available: {exc}")
    try:
        admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {TEMPLATE_DB}"))
        admin.dispose()
        template = make_engine(server.url(TEMPLATE_DB))
        migrate(template)
        template.dispose()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    prepared = os.environ.get("STAMMTISCH_SQLITE_TEMPLATE")
    if prepared:  # the mutation run migrates once for its thousands of short sessions
        return Path(prepared)
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@contextmanager
def _pg_database(server: PostgresServer, template: str | None = None) -> Iterator[str]:
    """A throwaway database on the test server (a copy of ``template``, or empty)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        )
    try:
        yield server.url(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture
def empty_pg_url(pg_server) -> Iterator[str]:
    """An empty PostgreSQL database, not even migrated (as a new installation finds it)."""
    with _pg_database(pg_server) as url:
        yield url


@pytest.fixture(params=TEST_DBS)
def db_url(request, tmp_path) -> Iterator[str]:
    """A freshly migrated, empty database (not seeded)."""
    if request.param == "sqlite":
        target = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    with _pg_database(request.getfixturevalue("pg_server"), TEMPLATE_DB) as url:
        yield url


@pytest.fixture
def engine(db_url) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def seeded(engine) -> Engine:
    """The migrated database with the seed content of the original web page."""
    from stammtisch.bootstrap import init_database

    init_database(engine, now=SEED_NOW)
    return engine


@pytest.fixture
def now():
    return SEED_NOW


@pytest.fixture
def smtp_server():
    """A running SMTP server on 127.0.0.1 that keeps what it receives."""
    from tests.smtpserver import SmtpServer

    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``make mutants`` checks each rule module's mutants with that module's own tests only
    (``STAMMTISCH_MUTANT_TESTS``: JSON, module -> path prefixes, set by bench/mutants.py;
    mutmut names the mutant under test in ``MUTANT_UNDER_TEST``), so a run fits the
    machine. Its clean run takes the tests of every module; every other run keeps all."""
    by_module = os.environ.get("STAMMTISCH_MUTANT_TESTS")
    if not by_module:
        return
    import json

    mapping: dict[str, list[str]] = json.loads(by_module)
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    if mutant.startswith("stammtisch."):
        prefixes = tuple(mapping.get(mutant.split(".")[1], ()))
    elif mutant == "":  # the clean run before the mutants: what any of them may run
        prefixes = tuple(p for paths in mapping.values() for p in paths)
    else:  # listing tests, collecting coverage, the forced failure
        return
    keep = [item for item in items if item.nodeid.startswith(prefixes)]
    if len(keep) < len(items):
        kept = set(map(id, keep))
        config.hook.pytest_deselected(items=[i for i in items if id(i) not in kept])
        items[:] = keep
