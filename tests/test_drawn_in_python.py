"""The small pieces drawn in Python instead of included templates (issue 18: on a list, the
includes were a tenth of the page's cost) give the HTML the templates gave, character for
character, in both languages, whatever the record holds."""

import pytest
from django.template import Context, Template
from django.utils import translation

from partnership.core.templatetags.partnership_tags import action_progress, status_badge
from tests.factories import ActionFactory, ConventionFactory, SignedAgreementFactory
from tests.test_hostile_input import HOSTILE_VALUES

pytestmark = pytest.mark.django_db

# The templates as they were (templates/includes/status_badge.html and
# templates/partnership/action_progress.html).
STATUS_BADGE = (
    '<span class="badge status-badge status-{{ record.status }}">'
    "{{ record.get_status_display|capfirst }}</span>\n"
)
ACTION_PROGRESS = (
    "{% load i18n partnership_tags %}{# The progress of one action #}\n"
    '<progress class="action-progress" value="{{ action.progress }}" max="100" aria-label="'
    "{% blocktranslate trimmed with title=action.title %}Progress of “{{ title }}”"
    '{% endblocktranslate %}">{{ action.progress|percent }}</progress>\n'
    '<span class="small">{{ action.progress|percent }}</span>\n'
)


def _template(source, **context):
    return Template(source).render(Context(context))


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("title", ["Étude « TMS » & co", *HOSTILE_VALUES[:8]])
@pytest.mark.parametrize("progress", [0, 40, 100])
def test_the_progress_of_an_action(language, title, progress):
    action = ActionFactory.build(title=title, progress=progress)
    with translation.override(language):
        assert action_progress(action) == _template(ACTION_PROGRESS, action=action)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_status_badge_of_each_kind_of_record(language):
    records = [
        *(SignedAgreementFactory.build(status=value) for value, _label in _choices("agreement")),
        *(ActionFactory.build(status=value) for value, _label in _choices("action")),
        *(ConventionFactory.build(status=value) for value, _label in _choices("convention")),
    ]
    with translation.override(language):
        for record in records:
            assert status_badge(record) == _template(STATUS_BADGE, record=record)


def _choices(kind):
    model = {
        "agreement": SignedAgreementFactory,
        "action": ActionFactory,
        "convention": ConventionFactory,
    }[kind]._meta.model
    return model._meta.get_field("status").choices
