import pytest
from django.conf import settings


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


@pytest.fixture
def password():
    return "Motdepasse-solide-2026"


@pytest.fixture
def alice(django_user_model, password):
    return django_user_model.objects.create_user(
        "alice", "alice@anact.fr", password, first_name="Alice", last_name="Martin"
    )
