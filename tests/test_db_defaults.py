"""The defaults the database gives: a record's first version, the time of an approval.

A version starts at 1 in the database (``db_default``), not in Python: the INSERT returns it
(SQLite and PostgreSQL both have RETURNING), so a record just created reads its version
without another query, and a row written outside the ORM starts at 1 too.
"""

import datetime

import pytest
import time_machine
from django.db import connection
from django.db.models.expressions import DatabaseDefault
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from partnership.models import ProgrammeApproval, Theme
from tests.factories import OrganisationFactory, ProgrammeFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_record_just_created_reads_its_first_version_without_a_query(
    django_assert_num_queries,
):
    theme = Theme(code="tms", name="TMS")
    assert isinstance(theme.version, DatabaseDefault)  # not known before the INSERT
    theme.save()
    with django_assert_num_queries(0):
        assert theme.version == 1
    assert theme.history.get().version == 1
    theme.name = "Troubles musculosquelettiques"
    theme.save()
    assert theme.version == 2
    assert Theme.objects.get(pk=theme.pk).version == 2


def test_records_created_together_start_at_version_1_and_so_does_their_history():
    user = UserFactory()
    themes = bulk_create_with_history(
        [Theme(code=f"theme-{n}", name=f"Thème {n}") for n in range(3)],
        Theme,
        default_user=user,
    )
    assert [theme.version for theme in themes] == [1, 1, 1]
    assert list(Theme.history.values_list("version", flat=True)) == [1, 1, 1]


def test_a_row_written_outside_the_orm_gets_version_1_and_the_time_of_writing():
    programme, organisation, user = ProgrammeFactory(), OrganisationFactory(), UserFactory()
    before = timezone.now().replace(microsecond=0)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ProgrammeApproval._meta.db_table} "
            "(programme_id, organisation_id, approved_by_id) VALUES (%s, %s, %s)",
            [programme.pk, organisation.pk, user.pk],
        )
    approval = ProgrammeApproval.objects.get(programme=programme)
    assert approval.version == 1
    assert before <= approval.approved_at <= timezone.now() + datetime.timedelta(seconds=1)


def test_the_application_clock_still_dates_an_approval():
    """The ORM writes the time of the application (the one the tests move), not the database's."""
    moment = datetime.datetime(2026, 3, 12, 10, tzinfo=datetime.UTC)
    with time_machine.travel(moment, tick=False):
        approval = ProgrammeApproval.objects.create(
            programme=ProgrammeFactory(),
            organisation=OrganisationFactory(),
            approved_by=UserFactory(),
        )
    assert approval.approved_at == moment
    assert ProgrammeApproval.objects.get(pk=approval.pk).approved_at == moment
