"""On PostgreSQL the parameters travel apart from the query (psycopg 3's server-side binding)
and a connection prepares the queries it runs often: the same query for another person is
the same statement, which PostgreSQL no longer plans each time (README, "Benchmark")."""

import json

import pytest
from django.conf import settings
from django.db import connection

from partnership.models import Agreement
from tests.factories import UserFactory
from tests.test_production import production_env, run_manage

PRINT_OPTIONS = (
    "import json; from django.conf import settings; "
    "print(json.dumps(settings.DATABASES['default']['OPTIONS']))"
)

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)


def _prepared(fragment):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
            [f"%{fragment}%"],
        )
        return [row[0] for row in cursor.fetchall()]


# An ordering no other test uses: the statement is this test's own.
ORDERING = '"partnership_agreement"."purpose" DESC'


def _run(user, times):
    for _ in range(times):
        list(
            Agreement.objects.visible_to(user)
            .filter(title__icontains="accord")
            .order_by("-purpose")
        )


@on_postgresql
def test_a_query_run_often_is_prepared_once_for_everyone(anact_coordinator, inrs_coordinator):
    threshold = settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"]
    _run(anact_coordinator, threshold - 1)
    assert _prepared(ORDERING) == []

    _run(anact_coordinator, 1)
    _run(inrs_coordinator, threshold + 1)

    [statement] = _prepared(ORDERING)
    # Each person's scope and the text searched are parameters, not written in the query.
    assert "$1" in statement
    assert "accord" not in statement


@on_postgresql
def test_the_parameters_are_sent_apart_from_the_query():
    user = UserFactory(first_name="O'Brien; DROP TABLE auth_user; --")
    with connection.cursor() as cursor:
        cursor.execute("SELECT first_name FROM auth_user WHERE id = %s", [user.pk])
        assert cursor.fetchone()[0] == "O'Brien; DROP TABLE auth_user; --"
    assert connection.features.uses_server_side_binding


def _options(**env):
    result = run_manage("shell", "--no-imports", "-c", PRINT_OPTIONS, env=production_env(**env))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_threshold_comes_from_the_environment_and_off_prepares_nothing():
    url = {"DATABASE_URL": "postgres://someone@127.0.0.1:5432/somewhere"}
    assert _options(**url)["prepare_threshold"] == 5
    assert _options(**url, DATABASE_PREPARE_THRESHOLD="0")["prepare_threshold"] == 0
    off = _options(**url, DATABASE_PREPARE_THRESHOLD="off")
    assert off["prepare_threshold"] is None
    assert off["server_side_binding"] is True


def test_a_threshold_that_is_not_a_number_stops_start_up():
    env = production_env(
        DATABASE_URL="postgres://someone@127.0.0.1:5432/somewhere",
        DATABASE_PREPARE_THRESHOLD="often",
    )
    result = run_manage("shell", "--no-imports", "-c", PRINT_OPTIONS, env=env)
    assert result.returncode != 0
    assert "DATABASE_PREPARE_THRESHOLD must be an integer" in result.stderr
