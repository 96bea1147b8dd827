"""A form sent back with errors lists them at its top, each linked to its field, and each field
points to its own message (RGAA 11.10 and 11.11; WCAG 3.3.1)."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_errors_are_listed_at_the_top_with_links_to_their_fields(client, anact_coordinator):
    client.force_login(anact_coordinator)

    response = client.post(
        reverse("organisation_create"), {"name": "", "website": "pas une adresse"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    summary = html.split('<ul class="mb-0 mt-2 form-error-summary">', 1)[1].split("</ul>", 1)[0]
    link = r'<a class="alert-link" href="#id_name">Nom\u00a0:</a>\s*Ce champ est obligatoire'
    assert re.search(link, summary)
    assert 'href="#id_website"' in summary
    # The summary comes before the form's fields.
    assert html.index("form-error-summary") < html.index('id="id_name"')


def test_each_field_in_error_points_to_its_message(client, anact_coordinator):
    client.force_login(anact_coordinator)

    html = client.post(reverse("organisation_create"), {"name": ""}).content.decode()

    field = re.search(r'<input[^>]*id="id_name"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field
    assert 'aria-describedby="id_name_error"' in field
    assert 'id="id_name_error"' in html


def test_in_english_the_summary_reads_english(client, anact_coordinator):
    client.force_login(anact_coordinator)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    html = client.post(reverse("organisation_create"), {"name": ""}).content.decode()

    assert '<a class="alert-link" href="#id_name">Name:</a>' in html
