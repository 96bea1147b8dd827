"""The migration that brought invitations keeps every existing party as an accepted one."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("partnership", "0006_throttled_requests")]
AFTER = [("partnership", "0007_party_invitations")]


@pytest.mark.django_db(transaction=True)
def test_existing_parties_are_accepted_after_the_migration():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    organisation = old.get_model("partnership", "Organisation").objects.create(name="Anact")
    agreement = old.get_model("partnership", "Agreement").objects.create(
        reference="AC-1", title="Accord"
    )
    old.get_model("partnership", "AgreementParty").objects.create(
        agreement=agreement, organisation=organisation
    )
    old.get_model("partnership", "HistoricalAgreementParty").objects.create(
        id=1,
        agreement_id=agreement.pk,
        organisation_id=organisation.pk,
        history_date="2026-01-01T00:00:00Z",
        history_type="+",
    )
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    party = new.get_model("partnership", "AgreementParty").objects.get()
    assert party.status == "accepted"
    assert new.get_model("partnership", "HistoricalAgreementParty").objects.get().status == (
        "accepted"
    )
    # Back to the latest state for the tests that follow.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
