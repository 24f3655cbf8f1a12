"""The capacity and duplicate rules hold when many registrations and confirmations arrive
at once: places are decided at confirmation, under the meeting's lock."""

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


def _race(fn, items):
    barrier = threading.Barrier(len(items))

    def one(item):
        barrier.wait()
        try:
            return fn(item)
        except AlreadyRegistered as exc:
            return exc

    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        return list(pool.map(one, items))


def _register(engine, meeting_id, now, *, confirmation=True):
    def one(person):
        with session_scope(engine) as s:
            return registrations.register(
                session=s,
                meeting_id=meeting_id,
                data=f.registration_input(person),
                now=now,
                confirmation=confirmation,
            )

    return one


def _confirm(engine, now):
    def one(token):
        with session_scope(engine) as s:
            return registrations.confirm(session=s, token=token, now=now)

    return one


def _in_queue_order(engine, meeting_id):
    with session_scope(engine) as s:
        return s.exec(
            select(Registration)
            .where(Registration.meeting_id == meeting_id)
            .order_by(Registration.place_order, Registration.id)
        ).all()


def test_many_confirmations_at_once_respect_capacity_and_their_order(engine, now):
    meeting_id = f.meeting(engine, now=now, capacity=CAPACITY)
    registered = _race(_register(engine, meeting_id, now), range(THREADS))
    assert all(r.status == "pending" for r in registered)
    tokens = [f.link_token(engine, f"person{n}@example.org") for n in range(THREADS)]
    results = _race(_confirm(engine, now), tokens)
    assert not [r for r in results if isinstance(r, Exception)]
    statuses = [r.status for r in _in_queue_order(engine, meeting_id)]
    # Queue order: every confirmed place was given before any waitlisted one.
    assert statuses == ["confirmed"] * CAPACITY + ["waitlisted"] * (THREADS - CAPACITY)
    positions = sorted(r.waitlist_position for r in results if r.waitlist_position)
    assert positions == list(range(1, THREADS - CAPACITY + 1))
    assert len(set(f.mail_kinds_of_meeting(engine, meeting_id))) == 3  # request, place, waitlist


def test_many_threads_registering_at_once_without_confirmation(engine, now):
    meeting_id = f.meeting(engine, now=now, capacity=CAPACITY)
    results = _race(_register(engine, meeting_id, now, confirmation=False), range(THREADS))
    assert not [r for r in results if isinstance(r, Exception)]
    statuses = [r.status for r in _in_queue_order(engine, meeting_id)]
    assert statuses == ["confirmed"] * CAPACITY + ["waitlisted"] * (THREADS - CAPACITY)
    positions = sorted(r.waitlist_position for r in results if r.waitlist_position)
    assert positions == list(range(1, THREADS - CAPACITY + 1))


def test_many_threads_with_the_same_email_register_once(engine, now):
    meeting_id = f.meeting(engine, now=now, capacity=5)
    results = _race(_register(engine, meeting_id, now), ["same"] * 30)
    assert all(r.status == "pending" for r in results)
    with session_scope(engine) as s:
        assert len(s.exec(select(Registration)).all()) == 1
    # One confirmation mail: the repeats inside the pause mail nothing more.
    assert f.mail_kinds(engine, "personsame@example.org") == ["confirm_request"]


def test_cancellations_racing_with_registrations_keep_the_rules(engine, now):
    meeting_id = f.meeting(engine, now=now, capacity=10)
    first = [f.register(engine, meeting_id, f"early{n}", now=now) for n in range(15)]
    barrier = threading.Barrier(20)

    def cancel(receipt):
        barrier.wait()
        with session_scope(engine) as s:
            registrations.cancel(session=s, token=receipt.token, now=now)

    late = [f.register(engine, meeting_id, f"late{n}", now=now, confirm=False) for n in range(10)]
    assert all(r.status == "pending" for r in late)
    tokens = [f.link_token(engine, f"personlate{n}@example.org") for n in range(10)]

    def confirm(token):
        barrier.wait()
        with session_scope(engine) as s:
            registrations.confirm(session=s, token=token, now=now)

    with ThreadPoolExecutor(max_workers=20) as pool:
        jobs = [pool.submit(cancel, r) for r in first[:10]]
        jobs += [pool.submit(confirm, t) for t in tokens]
        for job in jobs:
            job.result()
    rows = _in_queue_order(engine, meeting_id)
    active = [r for r in rows if r.status != "cancelled"]
    confirmed = [r for r in active if r.status == "confirmed"]
    waiting = [r for r in active if r.status == "waitlisted"]
    assert len(confirmed) == 10
    assert len(waiting) == 5
    # The five early waiters were promoted before anyone who confirmed later.
    assert {r.name for r in rows[10:15]} <= {r.name for r in confirmed}
    # In queue order, every active confirmed place comes before anyone still waiting.
    assert [r.status for r in active] == ["confirmed"] * 10 + ["waitlisted"] * 5
    promoted = [r for r in rows[10:15]]
    for registration in promoted:
        assert "promoted" in f.mail_kinds(engine, registration.email)


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
                .order_by(Registration.place_order)
            ).all()
        ]
    assert statuses == ["cancelled", "confirmed", "waitlisted", "waitlisted"]
