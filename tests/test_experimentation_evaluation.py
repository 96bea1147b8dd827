"""The evaluation: indicators written at design, measurements per company or overall, and the
summary comparing each indicator before and after."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from experimentations import evaluation
from experimentations.models import Experimentation, Indicator, Measurement
from partnership.models import Region
from tests.factories import (
    EnrolledCompanyFactory,
    EvaluationFactory,
    ExperimentationFactory,
    IndicatorFactory,
    MeasurementFactory,
)

Phase = Experimentation.Phase


@pytest.fixture
def experimentation(agreement):
    experimentation = ExperimentationFactory(agreement=agreement, status=Phase.EVALUATION)
    EvaluationFactory(experimentation=experimentation, findings="Moins d’accidents.")
    return experimentation


@pytest.fixture
def accidents(experimentation):
    return IndicatorFactory(
        experimentation=experimentation,
        name="Fréquence des accidents",
        unit="AT pour 1 000 salariés",
        baseline=Decimal("100"),
        target=Decimal("60"),
    )


def _url(name, *args):
    return reverse(f"experimentations:{name}", args=args)


def _day(n):
    return datetime.date(2026, 1, 1) + datetime.timedelta(days=n)


def _edit_data(client, experimentation):
    from tests.test_experimentation_pages import _post_data_from

    return _post_data_from(client.get(_url("experimentation_update", experimentation.pk)))


# The comparison ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "target", "share", "state"),
    [
        ("100", "80", "60", Decimal(50), "progressing"),  # a rate to lower
        ("100", "55", "60", Decimal("112.5"), "reached"),
        ("100", "110", "60", Decimal(-25), "worse"),
        ("100", "100", "60", Decimal(0), "unchanged"),
        ("40", "70", "80", Decimal(75), "progressing"),  # a share to raise
        ("40", None, "80", None, "unmeasured"),
        (None, "70", "80", None, "measured"),
        ("40", "70", None, None, "measured"),
    ],
)
def test_progress_goes_from_baseline_to_target_whichever_way(before, after, target, share, state):
    def number(value):
        return None if value is None else Decimal(value)

    assert evaluation.progress(number(before), number(after), number(target)) == (share, state)


def test_summary_compares_before_and_after_overall_and_by_company(experimentation, accidents):
    absence = IndicatorFactory(
        experimentation=experimentation, name="Absentéisme", baseline=12, target=9
    )
    IndicatorFactory(experimentation=experimentation, name="Turn-over", baseline=20, target=15)
    lyon = EnrolledCompanyFactory(experimentation=experimentation, name="Lyon Domicile")
    brest = EnrolledCompanyFactory(
        experimentation=experimentation, name="Brest Services", region=Region.BRE
    )
    MeasurementFactory(indicator=accidents, company=lyon, measured_on=_day(0), value=110)
    MeasurementFactory(indicator=accidents, company=lyon, measured_on=_day(200), value=80)
    MeasurementFactory(indicator=accidents, company=lyon, measured_on=_day(100), value=95)
    MeasurementFactory(indicator=accidents, company=brest, measured_on=_day(150), value=70)
    MeasurementFactory(indicator=accidents, measured_on=_day(10), value=99)
    MeasurementFactory(indicator=accidents, measured_on=_day(210), value=75)
    MeasurementFactory(indicator=absence, company=brest, measured_on=_day(5), value=11)

    result = evaluation.summary(experimentation)
    overall = {row["indicator"].name: row for row in result["overall"]}
    assert overall["Fréquence des accidents"]["before"] == Decimal(100)
    assert overall["Fréquence des accidents"]["after"] == Decimal(75)
    assert overall["Fréquence des accidents"]["after_date"] == _day(210)
    assert overall["Fréquence des accidents"]["change"] == Decimal(-25)
    assert overall["Fréquence des accidents"]["share"] == Decimal("62.5")
    assert overall["Fréquence des accidents"]["bar"] == "62"
    assert overall["Absentéisme"]["state"] == "unmeasured"  # measured for a company only
    assert overall["Turn-over"]["after"] is None

    by_company = {
        block["indicator"].name: {row["company"].name: row for row in block["companies"]}
        for block in result["by_indicator"]
    }
    lyon_row = by_company["Fréquence des accidents"]["Lyon Domicile"]
    # Measured more than once: its own first measure is the "before".
    assert (lyon_row["before"], lyon_row["before_date"]) == (Decimal(110), _day(0))
    assert (lyon_row["after"], lyon_row["after_date"]) == (Decimal(80), _day(200))
    assert lyon_row["state"] == "progressing"
    brest_row = by_company["Fréquence des accidents"]["Brest Services"]
    # Measured once: compared with the indicator's baseline.
    assert (brest_row["before"], brest_row["before_date"]) == (Decimal(100), None)
    assert brest_row["change"] == Decimal(-30)
    assert list(by_company["Fréquence des accidents"]) == ["Brest Services", "Lyon Domicile"]
    assert list(by_company["Absentéisme"]) == ["Brest Services"]
    assert by_company["Turn-over"] == {}
    assert len(result["measurements"]) == 7


def test_reader_sees_the_evaluation_summary(client, experimentation, accidents, anact_reader):
    company = EnrolledCompanyFactory(experimentation=experimentation, name="Lyon Domicile")
    MeasurementFactory(indicator=accidents, company=company, measured_on=_day(1), value=90)
    MeasurementFactory(indicator=accidents, measured_on=_day(2), value=80)
    client.force_login(anact_reader)
    detail = client.get(experimentation.get_absolute_url())
    summary_url = _url("evaluation_summary", experimentation.pk)
    assert summary_url in detail.text
    assert "Fréquence des accidents" in detail.text
    response = client.get(summary_url)
    assert response.status_code == 200
    assert "Lyon Domicile" in response.text
    assert 'value="50"' in response.text  # <progress>: half the way from 100 to 60
    assert "Moins d’accidents." in response.text
    # No edit links for a reader.
    assert _url("measurement_create", experimentation.pk) not in response.text
    assert "/mesures/" not in response.text


def test_outsider_gets_404_on_the_summary_and_measurements(
    client, experimentation, accidents, outsider
):
    measurement = MeasurementFactory(indicator=accidents)
    client.force_login(outsider)
    assert client.get(_url("evaluation_summary", experimentation.pk)).status_code == 404
    for url in (
        _url("measurement_create", experimentation.pk),
        _url("measurement_update", measurement.pk),
        _url("measurement_delete", measurement.pk),
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {}).status_code == 404, url


@pytest.mark.parametrize("person", ["anact_reader", "anact_contributor", "inrs_reader"])
def test_reader_cannot_record_or_change_measurements(
    client, experimentation, accidents, person, request
):
    measurement = MeasurementFactory(indicator=accidents, value=50)
    client.force_login(request.getfixturevalue(person))
    for url in (
        _url("measurement_create", experimentation.pk),
        _url("measurement_update", measurement.pk),
        _url("measurement_delete", measurement.pk),
    ):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"indicator": accidents.pk, "value": "1"}).status_code == 403
    measurement.refresh_from_db()
    assert measurement.value == 50


# Indicators on the edit page -----------------------------------------------------------


def test_coordinator_writes_indicators_on_the_edit_page(client, experimentation, anact_coordinator):
    client.force_login(anact_coordinator)
    url = _url("experimentation_update", experimentation.pk)
    data = _edit_data(client, experimentation)
    data.update(
        {
            "indicators-0-name": "Absentéisme",
            "indicators-0-unit": "%",
            "indicators-0-baseline": "12,5",
            "indicators-0-target": "9",
            "indicators-1-name": "Accidents du travail",
            "indicators-1-unit": "",
            "indicators-1-baseline": "",
            "indicators-1-target": "",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["formsets"]
    indicators = {i.name: i for i in experimentation.indicators.all()}
    assert indicators["Absentéisme"].baseline == Decimal("12.5")
    assert indicators["Accidents du travail"].target is None


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"indicators-0-name": "", "indicators-0-unit": "%"}, "name"),
        ({"indicators-0-name": "<b>Gras</b>"}, "name"),
        ({"indicators-0-name": "N" * 201}, "name"),
        ({"indicators-0-name": "Taux", "indicators-0-baseline": "beaucoup"}, "baseline"),
        ({"indicators-0-name": "Taux", "indicators-0-target": "1" * 13}, "target"),
        ({"indicators-0-name": "Taux", "indicators-0-unit": "u" * 51}, "unit"),
    ],
)
def test_invalid_indicator_is_refused_next_to_the_field(
    client, experimentation, anact_coordinator, row, field
):
    client.force_login(anact_coordinator)
    url = _url("experimentation_update", experimentation.pk)
    data = _edit_data(client, experimentation)
    data["summary"] = "Résumé tapé"
    data.update(row)
    response = client.post(url, data)
    assert response.status_code == 200
    assert field in response.context["formsets"]["indicators"].forms[0].errors
    assert "Résumé tapé" in response.text
    assert not Indicator.objects.exists()


def test_two_indicators_with_the_same_name_are_refused(client, experimentation, anact_coordinator):
    client.force_login(anact_coordinator)
    url = _url("experimentation_update", experimentation.pk)
    data = _edit_data(client, experimentation)
    data.update({"indicators-0-name": "Absentéisme", "indicators-1-name": "absentéisme"})
    response = client.post(url, data)
    assert response.status_code == 200
    errors = response.context["formsets"]["indicators"].non_form_errors().as_data()
    assert [e.code for e in errors] == ["duplicate"]
    assert not Indicator.objects.exists()


def test_an_indicator_with_measurements_cannot_be_deleted(
    client, experimentation, accidents, anact_coordinator
):
    MeasurementFactory(indicator=accidents)
    client.force_login(anact_coordinator)
    url = _url("experimentation_update", experimentation.pk)
    data = _edit_data(client, experimentation)
    data["indicators-0-DELETE"] = "on"
    response = client.post(url, data)
    assert response.status_code == 200
    errors = response.context["formsets"]["indicators"].non_form_errors().as_data()
    assert [e.code for e in errors] == ["protected"]
    assert Indicator.objects.filter(pk=accidents.pk).exists()


# Measurements --------------------------------------------------------------------------


def test_coordinator_records_edits_and_deletes_a_measurement(
    client, experimentation, accidents, anact_coordinator
):
    company = EnrolledCompanyFactory(experimentation=experimentation, name="Lyon Domicile")
    client.force_login(anact_coordinator)
    summary_url = _url("evaluation_summary", experimentation.pk)
    create = _url("measurement_create", experimentation.pk)
    assert create in client.get(summary_url).text
    page = client.get(f"{create}?indicator={accidents.pk}&company={company.pk}")
    assert page.context["form"].initial == {
        "indicator": str(accidents.pk),
        "company": str(company.pk),
    }
    response = client.post(
        create,
        {
            "indicator": accidents.pk,
            "company": company.pk,
            "measured_on": "2026-06-30",
            "value": "82,5",
            "comment": "Bilan à six mois",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == summary_url
    measurement = Measurement.objects.get()
    assert (measurement.company, measurement.value) == (company, Decimal("82.5"))
    assert measurement.history.get().history_user == anact_coordinator
    # The whole experimentation: no company.
    client.post(
        create, {"indicator": accidents.pk, "company": "", "measured_on": "2026-06-30", "value": 80}
    )
    assert Measurement.objects.filter(company__isnull=True).count() == 1

    update = _url("measurement_update", measurement.pk)
    from tests.test_experimentation_pages import _post_data_from

    data = _post_data_from(client.get(update))
    data["value"] = "79"
    assert client.post(update, data)["Location"] == summary_url
    measurement.refresh_from_db()
    assert measurement.value == 79

    delete = _url("measurement_delete", measurement.pk)
    assert client.get(delete).status_code == 200
    assert client.post(delete)["Location"] == summary_url
    assert not Measurement.objects.filter(pk=measurement.pk).exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"indicator": ""}, "indicator"),
        ({"value": ""}, "value"),
        ({"value": "beaucoup"}, "value"),
        ({"value": "1" * 13}, "value"),
        ({"measured_on": "2026-02-30"}, "measured_on"),
        ({"comment": "<script>alert(1)</script>"}, "comment"),
        ({"comment": "c" * 301}, "comment"),
        ({"company": "foreign"}, "company"),
        ({"indicator": "foreign"}, "indicator"),
        ({"measured_on": "2026-01-15"}, "measured_on"),  # that day is already measured
    ],
)
def test_invalid_measurement_is_refused_next_to_the_field_and_kept(
    client, experimentation, accidents, anact_coordinator, changes, field
):
    other = ExperimentationFactory(agreement=experimentation.agreement)
    foreign_company = EnrolledCompanyFactory(experimentation=other)
    foreign_indicator = IndicatorFactory(experimentation=other)
    MeasurementFactory(indicator=accidents, measured_on=datetime.date(2026, 1, 15), value=90)
    client.force_login(anact_coordinator)
    data = {
        "indicator": accidents.pk,
        "company": "",
        "measured_on": "2026-03-01",
        "value": "77",
        "comment": "Commentaire gardé",
    }
    for name, value in changes.items():
        if value == "foreign":
            value = foreign_company.pk if name == "company" else foreign_indicator.pk
        data[name] = value
    response = client.post(_url("measurement_create", experimentation.pk), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors, response.context["form"].errors
    if field != "comment":
        assert "Commentaire gardé" in response.text
    assert Measurement.objects.count() == 1


# Queries -------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 50])
def test_evaluation_summary_query_count_does_not_grow(
    client, experimentation, accidents, anact_coordinator, django_assert_num_queries, rows
):
    absence = IndicatorFactory(experimentation=experimentation, name="Absentéisme")
    for n in range(rows):
        company = EnrolledCompanyFactory(experimentation=experimentation)
        for indicator in (accidents, absence):
            MeasurementFactory(indicator=indicator, company=company, measured_on=_day(n))
            MeasurementFactory(indicator=indicator, company=company, measured_on=_day(n + 100))
        MeasurementFactory(indicator=accidents, measured_on=_day(n + 200))
    client.force_login(anact_coordinator)
    # session, user, staff profile, the experimentation (with agreement, convention,
    # evaluation and report), the parties of the agreement (access rule), the indicators, the
    # latest and the first measure of each pair (window function), every measurement.
    # ... and the bell's unread count.
    with django_assert_num_queries(10):
        response = client.get(_url("evaluation_summary", experimentation.pk))
    assert response.status_code == 200
    assert len(response.context["by_indicator"][0]["companies"]) == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_measurement_form_query_count_does_not_grow(
    client, experimentation, accidents, anact_coordinator, django_assert_num_queries, rows
):
    for _n in range(rows):
        EnrolledCompanyFactory(experimentation=experimentation)
        IndicatorFactory(experimentation=experimentation)
    client.force_login(anact_coordinator)
    # session, user, staff profile, the experimentation, its agreement and the agreement's
    # parties (access rule), the indicators and the companies offered.
    # ... and the bell's unread count.
    with django_assert_num_queries(9):
        response = client.get(_url("measurement_create", experimentation.pk))
    assert response.status_code == 200


def test_two_people_editing_a_measurement_the_second_save_is_refused(
    client, experimentation, accidents, anact_coordinator, inrs_coordinator
):
    from django.test import Client

    from tests.test_experimentation_pages import _post_data_from

    measurement = MeasurementFactory(indicator=accidents, value=90, comment="")
    url = _url("measurement_update", measurement.pk)
    other = Client()
    client.force_login(anact_coordinator)
    other.force_login(inrs_coordinator)
    mine = _post_data_from(client.get(url))
    theirs = _post_data_from(other.get(url))
    theirs["value"] = "85"
    assert other.post(url, theirs).status_code == 302
    mine["comment"] = "Mesure corrigée"
    response = client.post(url, mine)
    assert response.status_code == 200
    assert response.context["conflict"]
    assert "Mesure corrigée" in response.text
    measurement.refresh_from_db()
    assert (measurement.value, measurement.comment) == (85, "")
