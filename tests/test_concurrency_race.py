"""Two saves of the same version at the same moment: one passes, the other is refused.

Both requests are held until both have validated their forms (the record read at the same
version), then released together: the version check runs on a locked row inside the
saving transaction, so the second one sees the first one's version.
"""

import datetime
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from conventions.models import Convention
from conventions.views import ConventionUpdate
from tests.factories import ConventionFactory, ConventionPartyFactory, ThemeFactory
from tests.html_forms import form_data


@pytest.mark.django_db(transaction=True)
def test_two_saves_at_once_with_the_same_version_give_one_save(
    agreement, anact, inrs, anact_coordinator, inrs_coordinator, monkeypatch
):
    convention = ConventionFactory(
        agreement=agreement,
        theme=ThemeFactory(),
        title="Prévention des TMS",
        starts_on=datetime.date(2025, 1, 1),
        ends_on=datetime.date(2026, 12, 31),
    )
    for organisation in (anact, inrs):
        ConventionPartyFactory(convention=convention, organisation=organisation)
    url = reverse("conventions:convention_update", args=[convention.pk])
    clients = []
    for user, title in (
        (anact_coordinator, "Titre de l’Anact"),
        (inrs_coordinator, "Titre de l’INRS"),
    ):
        client = Client()
        client.force_login(user)
        data = form_data(client.get(url))
        data["title"] = title
        clients.append((client, data))

    barrier = threading.Barrier(2, timeout=20)
    get_formsets = ConventionUpdate.get_formsets

    def held_get_formsets(view, instance):
        formsets = get_formsets(view, instance)
        if view.request.method == "POST" and not getattr(view, "held", False):
            view.held = True
            barrier.wait()  # both forms validated against the same version
        return formsets

    monkeypatch.setattr(ConventionUpdate, "get_formsets", held_get_formsets)
    statuses, errors = [], []

    def save(client, data):
        try:
            statuses.append(client.post(url, data).status_code)
        except Exception as error:  # collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=pair) for pair in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(statuses) == [200, 302]  # one saved, one refused with the conflict page
    convention.refresh_from_db()
    assert convention.title in ("Titre de l’Anact", "Titre de l’INRS")
    assert convention.version == 2
    changes = Convention.history.filter(id=convention.pk, history_type="~")
    assert changes.count() == 1
