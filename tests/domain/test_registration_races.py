"""The capacity and duplicate rules hold when many registrations arrive at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlmodel import select

from stammtisch import registrations
from stammtisch.db import session_scope
from stammtisch.errors import AlreadyRegistered
from stammtisch.models import Registration
from tests import factories as f

THREADS = 200
CAPACITY = 50


def _race(engine, meeting_id, people, now):
    barrier = threading.Barrier(len(people))

    def one(person):
        barrier.wait()
        with session_scope(engine) as s:
            try:
                return registrations.register(
                    session=s, meeting_id=meeting_id, data=f.registration_input(person), now=now
                )
            except AlreadyRegistered as exc:
                return exc

    with ThreadPoolExecutor(max_workers=len(people)) as pool:
        return list(pool.map(one, people))


def test_many_threads_respect_capacity_and_arrival_order(engine, now):
    meeting_id = f.meeting(engine, now=now, capacity=CAPACITY)
    results = _race(engine, meeting_id, range(THREADS), now)
    assert not [r for r in results if isinstance(r, Exception)]
    with session_scope(engine) as s:
        rows = s.exec(
            select(Registration)
            .where(Registration.meeting_id == meeting_id)
            .order_by(Registration.id)
        ).all()
    statuses = [r.status for r in rows]
    assert statuses.count("confirmed") == CAPACITY
    assert statuses.count("waitlisted") == THREADS - CAPACITY
    # Arrival order: every confirmed place was given before any waitlisted one.
    assert statuses == ["confirmed"] * CAPACITY + ["waitlisted"] * (THREADS - CAPACITY)
    positions = sorted(r.waitlist_position for r in results if r.waitlist_position)
    assert positions == list(range(1, THREADS - CAPACITY + 1))


def test_many_threads_with_the_same_email_register_once(engine, now):
    meeting_id = f.meeting(engine, now=now, capacity=5)
    results = _race(engine, meeting_id, ["same"] * 30, now)
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, AlreadyRegistered) for r in results if isinstance(r, Exception))
    with session_scope(engine) as s:
        assert len(s.exec(select(Registration)).all()) == 1


def test_cancellations_racing_with_registrations_keep_the_rules(engine, now):
    meeting_id = f.meeting(engine, now=now, capacity=10)
    first = [f.register(engine, meeting_id, f"early{n}", now=now) for n in range(15)]
    barrier = threading.Barrier(20)

    def cancel(receipt):
        barrier.wait()
        with session_scope(engine) as s:
            registrations.cancel(session=s, token=receipt.token, now=now)

    def register(n):
        barrier.wait()
        with session_scope(engine) as s:
            registrations.register(
                session=s, meeting_id=meeting_id, data=f.registration_input(f"late{n}"), now=now
            )

    with ThreadPoolExecutor(max_workers=20) as pool:
        jobs = [pool.submit(cancel, r) for r in first[:10]]
        jobs += [pool.submit(register, n) for n in range(10)]
        for job in jobs:
            job.result()
    with session_scope(engine) as s:
        rows = s.exec(
            select(Registration)
            .where(Registration.meeting_id == meeting_id)
            .order_by(Registration.id)
        ).all()
    active = [r for r in rows if r.status != "cancelled"]
    confirmed = [r for r in active if r.status == "confirmed"]
    waiting = [r for r in active if r.status == "waitlisted"]
    assert len(confirmed) == 10
    assert len(waiting) == 5
    # The five early waiters were promoted before anyone who came later.
    assert all(r.name.startswith("Person early") for r in rows[10:15] if r.status == "confirmed")
    assert {r.name for r in rows[10:15]} <= {r.name for r in confirmed}
    # In arrival order, every active confirmed place comes before anyone still waiting.
    assert [r.status for r in active] == ["confirmed"] * 10 + ["waitlisted"] * 5


def test_the_same_cancellation_sent_many_times_at_once_counts_once(engine, now):
    """Each attempt decides on the row as it is after the lock, not on a copy read before."""
    from datetime import timedelta

    meeting_id = f.meeting(engine, now=now, capacity=1)
    first = f.register(engine, meeting_id, "first", now=now)
    for n in range(3):
        f.register(engine, meeting_id, f"waiting{n}", now=now)
    barrier = threading.Barrier(12)

    def cancel(n):
        barrier.wait()
        with session_scope(engine) as s:
            return registrations.cancel(
                session=s, token=first.token, now=now + timedelta(seconds=n)
            )

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(cancel, range(12)))
    assert sorted(r.was_status for r in results) == ["cancelled"] * 11 + ["confirmed"]
    assert sum(len(r.promoted_registration_ids) for r in results) == 1
    with session_scope(engine) as s:
        statuses = [
            r.status
            for r in s.exec(
                select(Registration)
                .where(Registration.meeting_id == meeting_id)
                .order_by(Registration.id)
            ).all()
        ]
    assert statuses == ["cancelled", "confirmed", "waitlisted", "waitlisted"]
