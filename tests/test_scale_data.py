import pytest
from django.core.management import call_command
from django.db import transaction

from conventions.models import Convention
from partnership.demo import scale
from partnership.models import Action, Agreement, Meeting, Programme

pytestmark = pytest.mark.django_db


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (Agreement, Programme, Action, Convention, Meeting)
    } | {"history": Action.history.count()}


def test_small_scale_data_is_generated_once_with_its_history():
    call_command("load_demo", verbosity=0)
    call_command("generate_scale_data", "--small", verbosity=0)
    first = _counts()
    assert Agreement.objects.filter(reference__startswith=scale.REFERENCE_PREFIX).count() == 2
    assert Action.objects.filter(programme__agreement__reference__startswith="ECH-").count() >= 100
    assert first["history"] >= first["Action"]
    call_command("generate_scale_data", "--small", verbosity=0)
    assert _counts() == first


def _generated(seed):
    """Generate, read back what was made, then roll it all back."""
    with transaction.atomic():
        scale.generate(seed=seed, scale=scale.Scale.small())
        data = list(
            Action.objects.order_by(
                "programme__agreement__reference", "programme__year", "title"
            ).values_list("title", "status", "progress", "lead_organisation__name")
        )
        transaction.set_rollback(True)
    return data


def test_the_same_seed_gives_the_same_data():
    first = _generated(seed=7)
    assert first
    assert _generated(seed=7) == first
    assert _generated(seed=8) != first
