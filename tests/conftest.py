import os

import pytest
from django.conf import settings

from tests import clock

_session_travel = pytest.StashKey[clock.time_machine.travel]()


def pytest_configure(config):
    """With ``TEST_TODAY`` set (``2028-02-29``, or a moment ``2026-12-31T23:30``, Paris time),
    the whole run takes place that day: the clock starts there and goes on ticking.

    Started here, before any test module is imported, so that everything the suite computes
    from the clock sees that day; a test that freezes its own moment (``clock.freeze``) still
    has it. ``make test-dates`` runs the date-sensitive modules at the dates where calendar
    arithmetic breaks.
    """
    today = os.environ.get("TEST_TODAY")
    if today:
        try:
            config.stash[_session_travel] = clock.travel_to(today)
        except ValueError as error:
            raise pytest.UsageError(str(error)) from error


def pytest_unconfigure(config):
    travel = config.stash.get(_session_travel, None)
    if travel is not None:
        travel.stop()


def pytest_report_header(config):
    if config.stash.get(_session_travel, None) is not None:
        return f"TEST_TODAY: the run takes place on {os.environ['TEST_TODAY']} (Paris time)"
    return None


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """Put the SQLite test database in a file so that a real server process can share it.

    The default in-memory database lives inside the pytest process only; tests/test_production.py
    starts gunicorn on the test database. Each pytest process (xdist worker) gets its own folder.
    """
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        test_name = database.setdefault("TEST", {}).get("NAME")
        if not test_name or test_name == ":memory:" or "mode=memory" in test_name:
            database["TEST"]["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path_factory):
    """Files a test uploads go to a folder of its own, never to the project's media/."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def empty_local_cache():
    """Each test starts with the process's own cache empty (the tests' cache, without
    REDIS_URL): what an earlier test kept there, such as a page's overlaps, would change the
    queries the next one counts. A Redis cache is left alone: its tests have their own prefix
    (``cache_key_prefix``)."""
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()


@pytest.fixture(autouse=True)
def no_console_error():
    """No page of a browser test logs an error: every context of the shared chromium is watched
    (tests.browser), and what a test's pages logged fails it here, at its teardown."""
    from tests.browser import take_console_errors

    take_console_errors()  # what an earlier, failed test left
    yield
    errors = take_console_errors()
    assert errors == [], "the browser logged errors:\n" + "\n".join(errors)


@pytest.fixture
def password():
    return "Motdepasse-solide-2026"


@pytest.fixture
def alice(django_user_model, password):
    return django_user_model.objects.create_user(
        "alice", "alice@anact.fr", password, first_name="Alice", last_name="Martin"
    )


# The people of the stories: a reader, a contributor and a coordinator at Anact and at INRS,
# an Aract reader (Anact network), an outsider at a body that is no party, an administrator.


@pytest.fixture
def anact(db):
    from partnership.models import Organisation
    from tests.factories import OrganisationFactory

    return OrganisationFactory(
        name="Agence nationale pour l’amélioration des conditions de travail",
        acronym="Anact",
        kind=Organisation.Kind.NATIONAL_AGENCY,
    )


@pytest.fixture
def inrs(db):
    from partnership.models import Organisation
    from tests.factories import OrganisationFactory

    return OrganisationFactory(
        name="Institut national de recherche et de sécurité",
        acronym="INRS",
        kind=Organisation.Kind.NATIONAL_AGENCY,
    )


@pytest.fixture
def aract(anact):
    from partnership.models import Organisation, Region
    from tests.factories import OrganisationFactory

    return OrganisationFactory(
        name="Aract Auvergne-Rhône-Alpes",
        acronym="Aract ARA",
        kind=Organisation.Kind.REGIONAL_ASSOCIATION,
        parent=anact,
        region=Region.ARA,
    )


@pytest.fixture
def outsider_organisation(db):
    from tests.factories import OrganisationFactory

    return OrganisationFactory(name="Caisse nationale d’assurance vieillesse", acronym="Cnav")


@pytest.fixture
def agreement(anact, inrs):
    from tests.factories import AgreementPartyFactory, SignedAgreementFactory

    agreement = SignedAgreementFactory(
        reference="AC-ANACT-INRS", title="Accord-cadre de partenariat Anact – INRS"
    )
    AgreementPartyFactory(agreement=agreement, organisation=anact)
    AgreementPartyFactory(agreement=agreement, organisation=inrs)
    return agreement


def _staff(username, organisation, role):
    from tests.factories import StaffProfileFactory, UserFactory

    user = UserFactory(username=username)
    StaffProfileFactory(user=user, organisation=organisation, role=role)
    return user


@pytest.fixture
def anact_reader(anact):
    return _staff("anact.lecteur", anact, "reader")


@pytest.fixture
def anact_contributor(anact):
    return _staff("anact.contributeur", anact, "contributor")


@pytest.fixture
def anact_coordinator(anact):
    return _staff("anact.coordinateur", anact, "coordinator")


@pytest.fixture
def inrs_reader(inrs):
    return _staff("inrs.lecteur", inrs, "reader")


@pytest.fixture
def inrs_contributor(inrs):
    return _staff("inrs.contributeur", inrs, "contributor")


@pytest.fixture
def inrs_coordinator(inrs):
    return _staff("inrs.coordinateur", inrs, "coordinator")


@pytest.fixture
def aract_reader(aract):
    return _staff("aract.lecteur", aract, "reader")


@pytest.fixture
def outsider(outsider_organisation):
    return _staff("cnav.coordinateur", outsider_organisation, "coordinator")


@pytest.fixture
def administrator(anact):
    from tests.factories import StaffProfileFactory, UserFactory

    user = UserFactory(username="admin", is_staff=True, is_superuser=True)
    StaffProfileFactory(user=user, organisation=anact, role="administrator")
    return user


@pytest.fixture(scope="session")
def redis_url():
    """The Redis the tests that need one use: TEST_REDIS_URL, by default database 15 of the
    Redis on 127.0.0.1:6379 (production uses 0). Each test gets a key prefix of its own
    (``cache_key_prefix``), so runs side by side never read each other's keys.

    Without a Redis answering there, these tests are skipped, unless TESTS_REQUIRE_REDIS is
    set (``.ci/run`` sets it, having started Redis): then they fail."""
    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError as error:
        if os.environ.get("TESTS_REQUIRE_REDIS"):
            pytest.fail(f"Redis does not answer at {url}: {error}")
        pytest.skip(f"Redis does not answer at {url}: {error}")
    return url


@pytest.fixture
def cache_key_prefix(redis_url):
    """A key prefix used by this test only; its keys are deleted afterwards."""
    import uuid

    import redis

    prefix = f"test-{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=1)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
