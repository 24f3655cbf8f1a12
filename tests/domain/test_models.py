"""The workflows beside their enums: one table each, one checker, labels for every state."""

from __future__ import annotations

import pytest

from stammtisch.errors import InvalidTransition
from stammtisch.models import (
    _WORKFLOWS,
    Attendance,
    FederalState,
    LabelledEnum,
    MeetingStatus,
    ModerationState,
    OfferState,
    RegistrationState,
    RegistrationStatus,
    SuggestionKind,
    Workflow,
)

WORKFLOWS = (MeetingStatus, RegistrationStatus, ModerationState, OfferState)


def test_every_workflow_has_a_complete_table():
    assert set(_WORKFLOWS) == set(WORKFLOWS)
    for enum in WORKFLOWS:
        for state in enum:
            assert state.allowed_targets() <= set(enum)


@pytest.mark.parametrize(
    "enum", [*WORKFLOWS, RegistrationState, Attendance, FederalState, SuggestionKind]
)
def test_every_state_has_a_german_label_and_keeps_its_stored_value(enum: type[LabelledEnum]):
    for state in enum:
        assert state.label and state.label != state.value
        assert enum(state.value) is state and str(state) == state.value


@pytest.mark.parametrize("enum", WORKFLOWS)
def test_check_transition_agrees_with_the_table(enum: type[Workflow]):
    for source in enum:
        for target in enum:
            if target in source.allowed_targets():
                source.check_transition(target)
            else:
                with pytest.raises(InvalidTransition):
                    source.check_transition(target)


def test_refusals_name_where_a_state_can_be_reached_from():
    with pytest.raises(InvalidTransition) as err:
        OfferState.ACCEPTED.check_transition(OfferState.DECLINED)
    assert err.value.message == (
        "Dieses Angebot ist „angenommen“ und kann nicht „abgelehnt“ werden "
        "(nur aus: eingegangen, in Abstimmung)."
    )
    with pytest.raises(InvalidTransition) as err:
        RegistrationStatus.CANCELLED.check_transition(RegistrationStatus.CANCELLED)
    assert err.value.message == "Diese Anmeldung ist bereits „storniert“."


def test_the_rules_the_pages_ask_for():
    assert RegistrationStatus.WAITLISTED.allowed_targets() == {
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.CANCELLED,
    }
    assert not RegistrationStatus.CANCELLED.allowed_targets()
    assert MeetingStatus.CANCELLED.allowed_targets() == {MeetingStatus.PLANNED}
    assert not MeetingStatus.PLANNED.can_become(MeetingStatus.PLANNED)
    assert ModerationState.MERGED.allowed_targets() == frozenset()


def test_label_for_unknown_stored_values():
    assert FederalState.label_for("thueringen") == "Thüringen"
    assert FederalState.label_for("mars") == "mars"
    assert FederalState.label_for("mars", "keine Angabe") == "keine Angabe"
