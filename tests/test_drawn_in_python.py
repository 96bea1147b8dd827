"""The small pieces drawn in Python instead of included templates (issue 18: on a list, the
includes were a tenth of the page's cost) give the HTML the templates gave, character for
character, in both languages, whatever the record holds."""

import datetime

import pytest
from django.template import Context, Template
from django.utils import translation

from partnership.core.templatetags.partnership_tags import action_progress, status_badge
from partnership.models import Action
from partnership.overview import drawn
from partnership.overview.dashboard import (
    current_programmes,
    deliverables_due,
    ending_soon,
    recent_changes,
)
from tests.factories import (
    ActionFactory,
    ConventionFactory,
    DeliverableFactory,
    ProgrammeFactory,
    SignedAgreementFactory,
    UserFactory,
)
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

# The dashboard's bar, legend and average progress of a programme (templates/home.html).
PROGRAMME_PROGRESS = """{% load i18n partnership_tags %}\
<svg class="status-bar mb-2" viewBox="0 0 100 4" preserveAspectRatio="none" \
aria-hidden="true" focusable="false">
            {% for segment in programme.segments %}{% if segment.count %}<rect \
class="bar-{{ segment.status }}" x="{{ segment.x }}" y="0" width="{{ segment.width }}" \
height="4"></rect>{% endif %}{% endfor %}
          </svg>
          <ul class="list-inline small mb-2" aria-label="{% translate 'Actions by status' %}">
            <li class="list-inline-item">{% blocktranslate trimmed count \
counter=programme.action_count %}{{ counter }} action:{% plural %}{{ counter }} \
actions:{% endblocktranslate %}</li>
            {% for segment in programme.segments %}
            <li class="list-inline-item"><span class="legend-swatch bar-{{ segment.status }}" \
aria-hidden="true"></span> {{ segment.label|capfirst }} <strong>{{ segment.count }}\
</strong></li>
            {% endfor %}
          </ul>
          <div class="d-flex align-items-center gap-2 small">
            <label for="progress-{{ programme.pk }}" class="text-nowrap mb-0">\
{% translate "Average progress" %}</label>
            <progress id="progress-{{ programme.pk }}" class="dashboard-progress flex-grow-1" \
max="100" value="{{ programme.progress_value }}">{{ programme.progress_value|percent }}\
</progress>
            <span class="text-nowrap">{{ programme.progress_value|percent }}</span>
          </div>"""

# A record whose end or notice date comes soon, on the dashboard (templates/home.html).
ENDING = """{% load i18n partnership_tags %}\
<a href="{{ row.record.get_absolute_url }}" class="text-wrap-anywhere">{{ row.record }}</a>
          <span class="d-block small text-body-secondary">{{ row.kind|capfirst }}\
{% if row.record.agreement_id %} · {{ row.record.agreement.reference }}{% endif %}</span>
          <ul class="list-unstyled small mb-0">
            {% if row.notice_date %}<li{% if row.notice_soon %} class="fw-semibold"{% endif %}>\
{% translate "Notice before" %} <time datetime="{{ row.notice_date|date:'Y-m-d' }}">\
{{ row.notice_date|long_date }}</time>{% if row.record.tacit_renewal %} \
({% translate "tacit renewal otherwise" %}){% endif %}</li>{% endif %}
            <li{% if row.end_soon %} class="fw-semibold"{% endif %}>{% translate "Ends on" %} \
<time datetime="{{ row.ends_on|date:'Y-m-d' }}">{{ row.ends_on|long_date }}</time></li>
          </ul>"""

# A deliverable due, on the dashboard (templates/home.html).
DELIVERABLE = """{% load i18n %}<span>
            <a href="{{ deliverable.get_absolute_url }}" class="text-wrap-anywhere">\
{{ deliverable }}</a>
            <span class="d-block small text-body-secondary">{{ deliverable.action }} · \
{{ deliverable.action.programme.agreement.reference }}</span>
          </span>
          <span class="small text-nowrap">
            {% if deliverable.due_on < today %}<span class="badge overdue-badge">\
<i class="bi bi-exclamation-triangle" aria-hidden="true"></i> {% translate "Overdue" %}\
</span>{% endif %}
            <time datetime="{{ deliverable.due_on|date:'Y-m-d' }}">\
{{ deliverable.due_on|date:"SHORT_DATE_FORMAT" }}</time>
          </span>"""

# A recent change, on the dashboard (templates/home.html).
CHANGE = """{% load i18n partnership_tags %}<span>
            {% if change.type == "+" %}<i class="bi bi-plus-circle text-success" \
aria-hidden="true"></i> {% translate "Created" %}{% else %}<i class="bi bi-pencil \
text-primary" aria-hidden="true"></i> {% translate "Changed" %}{% endif %}
            · <span class="text-body-secondary">{{ change.kind }}</span>
            <a href="{{ change.record.get_absolute_url }}" class="text-wrap-anywhere">\
{{ change.record }}</a>
            {% if change.reason %}<span class="d-block fst-italic">\
{{ change.reason|change_reason:change.record }}</span>{% endif %}
          </span>
          <span class="text-body-secondary">
            {% if change.author %}{% blocktranslate trimmed with author=change.author %}\
by {{ author }}{% endblocktranslate %}{% else %}{% translate "by the system" %}{% endif %},
            <time datetime="{{ change.date|html_datetime }}" class="text-nowrap">\
{{ change.date|date:"SHORT_DATETIME_FORMAT" }}</time>
          </span>"""


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


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(
    "statuses",
    [
        ["planned"],
        ["planned", "in_progress", "in_progress", "done", "cancelled"],
        ["completed"] * 3 + ["postponed"],
    ],
)
def test_the_progress_of_a_programme_on_the_dashboard(language, statuses, administrator):
    today = datetime.date(2026, 5, 4)
    programme = ProgrammeFactory(year=today.year)
    for index, status in enumerate(statuses):
        progress = 100 if status == "completed" else (index * 37) % 100
        ActionFactory(programme=programme, status=status, progress=progress)
    with translation.override(language):
        [shown] = current_programmes(administrator, today)
        assert len(shown.segments) == len(Action.Status.choices)
        expected = _template(PROGRAMME_PROGRESS, programme=shown)
        assert drawn.programme_progress(shown) == expected


@pytest.mark.parametrize("language", ["fr", "en"])
def test_what_ends_soon_on_the_dashboard(language, administrator):
    today = datetime.date(2026, 11, 20)
    hostile = HOSTILE_VALUES[4]
    # Ends within the days ahead; its notice date (3 months before) has passed.
    SignedAgreementFactory(ends_on=datetime.date(2027, 1, 1), notice_period_months=3)
    # Ends later, but its notice date (6 months before) comes soon, renewed unless given.
    SignedAgreementFactory(
        title=hostile,
        ends_on=datetime.date(2027, 6, 30),
        notice_period_months=6,
        tacit_renewal=True,
    )
    agreement = SignedAgreementFactory(reference=f"AC-{hostile}"[:30])
    ConventionFactory(
        agreement=agreement,
        title=hostile,
        status="signed",
        signed_on=datetime.date(2025, 1, 1),
        ends_on=datetime.date(2027, 2, 1),
    )
    with translation.override(language):
        rows = ending_soon(administrator, today)
        assert len(rows) == 3
        assert {row["notice_soon"] for row in rows} == {True, False}
        for row in rows:
            assert drawn.ending_soon(row) == _template(ENDING, row=row)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_deliverables_due_on_the_dashboard(language, administrator):
    today = datetime.date(2026, 11, 20)
    action = ActionFactory(title=HOSTILE_VALUES[6])
    for title, due_on in [
        (HOSTILE_VALUES[4], datetime.date(2026, 11, 2)),
        ("Rapport d’étape", today),
        ("Guide « TMS »", datetime.date(2026, 12, 15)),
    ]:
        DeliverableFactory(action=action, title=title, due_on=due_on)
    with translation.override(language):
        deliverables, total, overdue = deliverables_due(administrator, today)
        assert (total, overdue) == (3, 1)
        for deliverable in deliverables:
            expected = _template(DELIVERABLE, deliverable=deliverable, today=today)
            assert drawn.deliverable_due(deliverable, today) == expected


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_recent_changes_on_the_dashboard(language, administrator):
    agreement = SignedAgreementFactory(title=HOSTILE_VALUES[4])
    ActionFactory(title=HOSTILE_VALUES[6], programme__agreement=agreement)
    agreement.title = HOSTILE_VALUES[5]
    agreement._change_reason = HOSTILE_VALUES[6]
    agreement._history_user = UserFactory(first_name=HOSTILE_VALUES[7], last_name="<Durand>")
    agreement.save()
    with translation.override(language):
        changes = recent_changes(administrator)
        assert {change["type"] for change in changes} == {"+", "~"}
        assert any(change["reason"] for change in changes)
        assert any(change["author"] for change in changes)
        for change in changes:
            assert drawn.recent_change(change) == _template(CHANGE, change=change)
