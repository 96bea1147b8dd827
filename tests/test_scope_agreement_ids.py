"""The scope read once per request: the agreements a person sees are read with their profile
(``rules.agreement_ids``) and each query filters on them, instead of the party condition (a
correlated subquery compiled into every query). Both must give the same records, for every
kind of record, every demo person (network members, readers, coordinators, administrators),
the notifications included; and a change of parties shows at the next request."""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command

from partnership import rules
from partnership.demo import data as demo
from partnership.models import AgreementParty
from partnership.rules import PartyStatus


def fresh(username):
    """The person as a request has them: a new user object, nothing read yet."""
    return get_user_model().objects.get(username=username)


def ids_both_ways(model, username, monkeypatch):
    by_agreement_ids = set(model._default_manager.visible_to(fresh(username)).values_list("pk"))
    with monkeypatch.context() as patch:
        patch.setattr(rules, "agreement_ids", lambda user: None)
        by_party_condition = set(
            model._default_manager.visible_to(fresh(username)).values_list("pk")
        )
    return by_agreement_ids, by_party_condition


def test_every_kind_of_record_is_scoped_the_same_both_ways(db, monkeypatch):
    call_command("load_demo", verbosity=0)
    labels = sorted({*rules.AGREEMENT_PATHS, "partnership.document", "partnership.notification"})
    for label in labels:
        model = apps.get_model(label)
        for spec in demo.ACCOUNTS:
            new, old = ids_both_ways(model, spec.username, monkeypatch)
            assert new == old, (label, spec.username)


def test_a_member_of_a_network_sees_its_heads_agreements_and_not_an_invitation(
    agreement, anact, inrs, aract, aract_reader
):
    user = fresh(aract_reader.username)
    assert aract.parent_id == anact.pk
    assert rules.agreement_ids(user) == [agreement.pk]
    AgreementParty.objects.filter(agreement=agreement).update(status=PartyStatus.INVITED)
    assert rules.agreement_ids(user) == [agreement.pk]  # read once per request
    user = fresh(aract_reader.username)  # the next request
    assert rules.agreement_ids(user) is None
    assert not type(agreement).objects.visible_to(user).exists()


def test_a_profile_given_by_the_caller_falls_back_on_the_party_condition(agreement, anact_reader):
    user = fresh(anact_reader.username)
    rules.remember_profile(user, user.profile)
    assert rules.agreement_ids(user) is None
    assert list(type(agreement).objects.visible_to(user)) == [agreement]
