from django.urls import reverse

from tests.factories import AgreementFactory


def test_coordinator_marked_staff_still_cannot_enter_the_back_office(client, anact_coordinator):
    anact_coordinator.is_staff = True
    anact_coordinator.save()
    client.force_login(anact_coordinator)
    agreement = AgreementFactory()
    assert client.get(reverse("admin:index")).status_code == 302
    change = reverse("admin:partnership_agreement_change", args=[agreement.pk])
    assert client.get(change).status_code == 302


def test_administrator_enters_the_back_office(client, administrator):
    client.force_login(administrator)
    assert client.get(reverse("admin:index")).status_code == 200


def test_staff_administrator_without_superuser_sees_the_agreements(client, anact):
    from tests.factories import StaffProfileFactory, UserFactory

    user = UserFactory(is_staff=True)
    StaffProfileFactory(user=user, organisation=anact, role="administrator")
    client.force_login(user)
    agreement = AgreementFactory()
    assert client.get(reverse("admin:partnership_agreement_changelist")).status_code == 200
    change = reverse("admin:partnership_agreement_change", args=[agreement.pk])
    assert client.get(change).status_code == 200


def test_the_back_office_link_is_shown_only_to_whom_the_back_office_lets_in(
    client, anact_coordinator, administrator
):
    anact_coordinator.is_staff = True
    anact_coordinator.save()
    client.force_login(anact_coordinator)
    page = client.get(reverse("home")).text
    assert reverse("admin:index") not in page
    assert reverse("deleted_records") not in page
    client.force_login(administrator)
    page = client.get(reverse("home")).text
    assert reverse("admin:index") in page
    assert reverse("deleted_records") in page
