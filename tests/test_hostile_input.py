"""Property-based tests: random and hostile values posted to every staff form.

For each form page (create and update pages of every subject, and the pages that take input:
transitions with a reason, meeting outcomes and reviews, document uploads) a valid submission
is built from what the page shows (its forms, formsets and management forms), completed for
the required fields of creation pages. Hypothesis then replaces one to three of its values by
hostile ones: unicode, very long strings, null bytes, dates far in the past and the future,
negative and huge numbers, HTML and script, tampered formset counts.

What must hold: never a server error, and never a partial save: when the answer is not a
redirect (the form came back with its errors), no row of the application's tables (records
and their history) was added, changed or deleted. Each example runs in a savepoint that is
rolled back, so every example starts from the same data.
"""

import datetime
import importlib
import pkgutil

import pytest
from django import forms
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partnership.core.forms import OneLineMixin
from tests.factories import PDF_BYTES
from tests.test_access_matrix import RULES, _url, world  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 20

# The form pages, and the values their valid submission needs beyond what the page shows
# (creation pages start empty; ``fill_required`` completes the rest).
FORM_PAGES = {
    "agreement_create": {"reference": "AC-PROPRIETES", "title": "Accord de test"},
    "agreement_update": {},
    "agreement_transition": {"reason": "Fin anticipée."},
    "programme_create": {},  # the page proposes the year after the latest programme
    "programme_update": {},
    "action_create": {"title": "Action de test", "progress": "0"},
    "action_update": {},
    "deliverable_create": {"title": "Livrable de test"},
    "deliverable_update": {},
    "meeting_create": {"starts_at": "2030-01-10T10:00", "ends_at": "2030-01-10T12:00"},
    "meeting_update": {},
    "meeting_outcomes": {},
    "meeting_review": {"progress": "50"},
    "agendaitem_create": {"title": "Point de test"},
    "followuptask_update": {},
    "plannedproject_create": {"title": "Projet de test"},
    "plannedproject_update": {},
    "organisation_create": {"name": "Organisme de test", "website": ""},
    "organisation_update": {},
    "contact_create": {"last_name": "Durand", "email": ""},
    "contact_update": {},
    "conventions:convention_create": {"title": "Convention de test"},
    "conventions:convention_update": {},
    "conventions:amendment_create": {"signed_on": "2024-06-01", "summary": "Prolongation."},
    "conventions:amendment_update": {},
    "experimentations:experimentation_create": {"title": "Expérimentation de test"},
    "experimentations:experimentation_update": {},
    "experimentations:experimentation_transition": {"reason": "Arrêt."},
    "experimentations:company_create": {
        "name": "Entreprise de test",
        "enrolled_on": "2025-01-15",
        "left_on": "",
    },
    "experimentations:company_update": {},
    "experimentations:measurement_create": {"measured_on": "2024-06-30", "value": "12,5"},
    "experimentations:measurement_update": {},
    "document_create_agreement": {"title": "Pièce"},
    "document_create_convention": {"title": "Pièce"},
    "document_create_amendment": {"title": "Pièce"},
    "document_create_meeting": {"title": "Pièce"},
    "document_create_deliverable": {"title": "Pièce"},
}
FILE_FIELDS = {"file"}

HOSTILE_VALUES = [
    "",
    " ",
    "\x00",
    "titre\x00caché",
    "<script>alert(1)</script>",
    "<b>gras</b>",
    '"><img src=x onerror=alert(1)>',
    "' OR 1=1 --",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "-0001-01-01",
    "2024-02-30",
    "0000-00-00",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "99999-01-01T00:00",
    "-1",
    "-99999999999999999999",
    "99999999999999999999",
    "9" * 400,
    "1e308",
    "-1e308",
    "NaN",
    "inf",
    "0x10",
    "١٢٣",
    "²",
    "3.14159265358979323846264338327950288419716939937510",
    "on",
    "None",
    "../../etc/passwd",
    "\u202etxt.exe",
    "\ufeff",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🎉",
    "e\u0301" * 50,
]
hostile_values = st.one_of(
    st.sampled_from(HOSTILE_VALUES),
    st.text(max_size=60),  # any unicode, control characters and null bytes included
    st.builds(
        lambda char, size: char * size,
        st.sampled_from(["x", "é", "\x00", "<", "𝔘", " "]),
        st.sampled_from([255, 256, 301, 1001, 10_001, 100_001]),
    ),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.dates(min_value=datetime.date(1, 1, 1)).map(lambda day: day.isoformat()),
)


# Building a valid submission from the page ----------------------------------------------


def _formatted(bound):
    """A bound field's value as the browser would send it back (None: nothing sent)."""
    field, widget = bound.field, bound.field.widget
    value = bound.value()
    if isinstance(widget, forms.CheckboxInput):
        return "on" if value else None
    if isinstance(widget, forms.FileInput) or value in (None, "", []):
        return None
    if isinstance(field, forms.ModelMultipleChoiceField | forms.MultipleChoiceField):
        return [str(getattr(item, "pk", item)) for item in value]
    formatted = widget.format_value(value)
    if isinstance(formatted, list):  # a select's chosen values
        formatted = formatted[0] if formatted else None
    return None if formatted in (None, "") else str(formatted)


def _filler(field):
    """A valid value for an empty required field."""
    if isinstance(field, forms.FileField):
        return None  # sent by with_files
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        for value, label in field.choices:
            if isinstance(label, list | tuple):  # a group of choices
                value = label[0][0] if label else None
            if value not in ("", None):
                return str(value)
        return None
    if isinstance(field, forms.DateTimeField):
        return "2030-01-10T10:00"
    if isinstance(field, forms.DateField):
        return "2025-01-15"
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        return str(field.min_value if field.min_value is not None else 1)
    if isinstance(field, forms.EmailField):
        return "claire@example.org"
    if isinstance(field, forms.URLField):
        return "https://example.org/"
    return "Valeur"


def all_forms(context):
    """The page's main form, then each formset's management form and forms (extra included)."""
    found = [(context["form"], True)]
    for formset in (context.get("formsets") or {}).values():
        found.append((formset.management_form, True))
        found += [
            (form, index < formset.initial_form_count()) for index, form in enumerate(formset.forms)
        ]
    return found


def submission(context, overrides):
    data, names = {}, []
    for form, main in all_forms(context):
        for bound in form:
            names.append(bound.html_name)
            value = _formatted(bound)
            if value is None and main and bound.field.required and form is context["form"]:
                value = _filler(bound.field)
            if value is not None:
                data[bound.html_name] = value
    for name, value in overrides.items():
        if value == "":
            data.pop(name, None)
        else:
            data[name] = value
    return data, [name for name in names if name not in FILE_FIELDS and not untested(name)]


def bounded(name, value):
    """A form count up to a list's maximum (up to 500 rows) makes Django build and render
    that many forms; capped here so that the examples stay fast. A count beyond the maximum
    is refused before any form is built (tests/test_large_forms.py)."""
    if name.endswith("-TOTAL_FORMS") and value.strip().isdecimal() and int(value) > 100:
        return "101"
    return value


def untested(name):
    # A huge INITIAL_FORMS makes partnership.core.concurrency's submitted_rows() loop that many
    # times (the request hangs): see test_a_tampered_initial_form_count_is_refused_at_once.
    return name.endswith("-INITIAL_FORMS")


def with_files(data, name):
    if name.startswith("document_create_"):
        return {**data, "file": SimpleUploadedFile("piece.pdf", PDF_BYTES, "application/pdf")}
    return data


# What must not change when a form is refused -------------------------------------------


def application_tables():
    models = [
        model
        for config in ("partnership", "conventions", "experimentations")
        for model in apps.get_app_config(config).get_models(include_auto_created=True)
    ]
    return sorted({model._meta.db_table for model in models})


def snapshot(tables):
    """The row count of every table, in one query. Every save of a record adds a row to its
    history table, so equal counts mean nothing was created, changed or deleted."""
    with connection.cursor() as cursor:
        parts = [f"SELECT '{table}', COUNT(*) FROM \"{table}\"" for table in tables]
        cursor.execute(" UNION ALL ".join(parts))
        return dict(cursor.fetchall())


def refusals(response):
    """The errors of a form page that came back, to say why a submission was refused."""
    if not response.context or "form" not in response.context:
        return response.status_code
    found = {"form": response.context["form"].errors}
    for key, formset in (response.context.get("formsets") or {}).items():
        found[key] = (formset.errors, formset.non_form_errors())
    return found


@pytest.fixture
def page(client, world, administrator):  # noqa: F811 (world is the access matrix's fixture)
    client.force_login(administrator)

    def load(name):
        get_rule, post_rule, target, query = RULES[name]
        url = _url(name, target, query, world)
        response = client.get(url)
        assert response.status_code == 200, url
        data, names = submission(response.context, FORM_PAGES[name])
        return url, data, names

    return load


def test_every_creation_and_edit_page_is_tested():
    pages = {name for name in RULES if name.endswith(("_create", "_update"))}
    pages |= {name for name in RULES if name.startswith("document_create_")}
    # A comment is written in its record's thread and posted to comment_create, which has no
    # page of its own to fill in: tests/test_discussion.py posts the hostile values to it.
    assert pages - {"meeting_create_choose", "comment_create"} <= set(FORM_PAGES)


@pytest.mark.parametrize("name", sorted(FORM_PAGES))
def test_the_valid_submission_is_accepted(client, page, name):
    url, data, _names = page(name)
    sid = transaction.savepoint_create()
    try:
        response = client.post(url, with_files(data, name))
        assert response.status_code == 302, (url, data, refusals(response))
    finally:
        transaction.savepoint_rollback(sid)


@pytest.mark.parametrize("name", sorted(FORM_PAGES))
def test_hostile_values_never_break_a_form_nor_save_half_of_it(client, page, name):
    url, base, names = page(name)
    tables = application_tables()

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(
        changes=st.lists(
            st.tuples(st.sampled_from(names), hostile_values),
            min_size=1,
            max_size=3,
            unique_by=lambda change: change[0],
        )
    )
    def post_hostile(changes):
        data = {**base, **{key: bounded(key, value) for key, value in changes}}
        sid = transaction.savepoint_create()
        try:
            before = snapshot(tables)
            response = client.post(url, with_files(data, name))
            assert response.status_code < 500
            if response.status_code not in (301, 302, 303):
                assert response.status_code in (200, 400, 409), response.status_code
                assert snapshot(tables) == before, changes
        finally:
            transaction.savepoint_rollback(sid)

    post_hostile()


def test_a_number_no_column_can_hold_is_an_invalid_choice(client, page):
    url, data, _names = page("action_update")
    data["partners"] = ["-99999999999999999999", str(2**70)]

    response = client.post(url, data)

    assert response.status_code == 200
    assert "partners" in response.context["form"].errors


def test_a_tampered_initial_form_count_is_refused_at_once(client, page):
    url, data, _names = page("action_update")
    data["contacts-INITIAL_FORMS"] = str(10**15)

    response = client.post(url, data)

    assert response.status_code == 200


# The filters, sorting and search of the lists (GET forms) ---------------------------------

LIST_PAGES = sorted(name for name in RULES if name.endswith("_list")) + ["search"]


@pytest.mark.parametrize("name", LIST_PAGES)
def test_hostile_filters_never_break_a_list(client, world, administrator, name):  # noqa: F811
    client.force_login(administrator)
    get_rule, post_rule, target, query = RULES[name]
    url = _url(name, target, "", world)
    response = client.get(url)
    assert response.status_code == 200
    filterset = response.context.get("filter")
    names = [*(filterset.form.fields if filterset is not None else []), "q", "o", "page"]

    @settings(max_examples=10, deadline=None, derandomize=True, database=None)
    @given(
        changes=st.lists(
            st.tuples(st.sampled_from(names), hostile_values),
            min_size=1,
            max_size=3,
            unique_by=lambda change: change[0],
        )
    )
    def get_hostile(changes):
        answer = client.get(url, dict(changes))
        assert answer.status_code in (200, 404), changes  # 404: a page number out of range

    get_hostile()


# One-line text fields ---------------------------------------------------------------------

PROJECT_PACKAGES = ("partnership", "conventions", "experimentations")


def _project_form_classes():
    for package_name in PROJECT_PACKAGES:
        package = importlib.import_module(package_name)
        for module_info in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            if ".migrations" in module_info.name or module_info.name.endswith(".filters"):
                continue  # filter forms only read (tests/test_hostile_input.py, the lists)
            module = importlib.import_module(module_info.name)
            for value in vars(module).values():
                if (
                    isinstance(value, type)
                    and issubclass(value, forms.BaseForm)
                    and value.__module__ == module.__name__
                ):
                    yield value


def test_every_form_refuses_line_breaks_in_its_one_line_fields():
    classes = list(_project_form_classes())
    assert len(classes) > 30
    assert [cls.__qualname__ for cls in classes if not issubclass(cls, OneLineMixin)] == []


@pytest.mark.parametrize(
    "title", ["Réunion\r\nBcc: victime@example.org", "Réunion\nX", "Réunion\u2028X", "Ré\x1bunion"]
)
def test_a_line_break_in_a_one_line_field_is_refused_and_nothing_saved(client, page, title):
    url, data, _names = page("action_update")
    data["title"] = title
    tables = application_tables()
    before = snapshot(tables)

    response = client.post(url, data)

    assert response.status_code == 200
    assert response.context["form"].has_error("title", "not_one_line")
    assert "une seule ligne de texte" in response.text
    assert snapshot(tables) == before


def test_text_areas_keep_their_line_breaks(client, page):
    url, data, _names = page("action_update")
    data["description"] = "Premier paragraphe.\r\n\r\nSecond paragraphe."

    assert client.post(url, data).status_code == 302


def test_the_admin_refuses_line_breaks_too(admin_client, world):  # noqa: F811
    from partnership.models import Organisation

    organisation = world["organisation"]
    response = admin_client.post(
        reverse("admin:partnership_organisation_change", args=[organisation.pk]),
        {
            "name": "INRS\r\nReply-To: pirate@example.org",
            "acronym": organisation.acronym,
            "kind": organisation.kind,
            "region": "",
            "website": "",
            "version": organisation.version,
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert "name" in response.context["adminform"].form.errors
    assert Organisation.objects.get(pk=organisation.pk).name == organisation.name
