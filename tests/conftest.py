import pytest


@pytest.fixture
def password():
    return "Motdepasse-solide-2026"


@pytest.fixture
def alice(django_user_model, password):
    return django_user_model.objects.create_user(
        "alice", "alice@anact.fr", password, first_name="Alice", last_name="Martin"
    )
