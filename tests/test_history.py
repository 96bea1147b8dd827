"""What a record's history shows changed from one version to the next (partnership.core.history)."""

import pytest
from django.utils import translation

from partnership.core import history
from partnership.models import Action
from tests.factories import ActionFactory, OrganisationFactory, ThemeFactory


@pytest.fixture
def action(db):
    return ActionFactory(title="Guide TMS", theme=ThemeFactory(name="TMS"))


def _newest_changes(obj):
    entries, _ = history.own_history(obj)
    return entries[0]["changes"]


def test_a_change_of_status_is_shown_though_no_form_edits_the_status(action):
    action.status = Action.Status.IN_PROGRESS
    action.progress = 40
    action.save()
    with translation.override("fr"):
        changes = _newest_changes(action)
        assert [(c["name"], c["old"], c["new"]) for c in changes] == [
            ("status", str(Action.Status.PLANNED.label), str(Action.Status.IN_PROGRESS.label)),
            ("progress", "0", "40"),
        ]
        assert [str(c["label"]) for c in changes] == ["statut", "avancement (%)"]


def test_changes_come_in_the_order_of_the_fields_related_records_by_name(action):
    lead = OrganisationFactory(acronym="INRS")
    partner = OrganisationFactory(acronym="Aract Occitanie")
    action.title = "Guide TMS commun"
    action.lead_organisation = lead
    action.theme = None
    action.save()
    changes = _newest_changes(action)
    assert [c["name"] for c in changes] == ["title", "theme", "lead_organisation"]
    assert (changes[1]["old"], changes[1]["new"]) == ("TMS", "—")
    assert changes[2]["new"] == "INRS"

    action.partners.set([partner])
    changes = _newest_changes(action)
    assert [(c["name"], c["old"], c["new"]) for c in changes] == [
        ("partners", "—", "Aract Occitanie")
    ]


def test_simple_history_diff_against_leaves_out_the_status(action):
    """Why history.changes_between is not simple-history's ``diff_against``: that one compares
    only the fields a form may edit (django-simple-history#1019), and the status of a record
    moves only through its transitions (``editable=False``). Where both compare, they agree."""
    action.title = "Guide TMS commun"
    action.status = Action.Status.IN_PROGRESS
    action.save()
    action.partners.add(OrganisationFactory())
    records = list(action.history.order_by("-history_id"))
    newest, oldest = records[0], records[-1]

    shown = {c["name"] for c in history.changes_between(newest, oldest, _m2m(records))}
    assert shown == {"title", "status", "partners"}
    assert set(newest.diff_against(oldest).changed_fields) == {"title", "partners"}


def _m2m(records):
    return history.m2m_values(records, history.m2m_fields(Action))
