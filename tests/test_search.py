"""The global search from the navigation bar: only what one may see, kind by kind."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from partnership.overview.search import RESULTS_PER_KIND, fold
from tests.factories import (
    ActionFactory,
    AgreementPartyFactory,
    ContactFactory,
    ConventionFactory,
    MeetingFactory,
    OrganisationFactory,
    ProgrammeFactory,
    SignedAgreementFactory,
)

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="stemming needs PostgreSQL's full-text search"
)


@pytest.fixture
def programme(agreement):
    return ProgrammeFactory(agreement=agreement, year=timezone.localdate().year)


@pytest.fixture
def records(agreement, programme, anact, inrs):
    """Records of the Anact–INRS agreement about prevention, and the directories."""
    return {
        "action": ActionFactory(
            programme=programme,
            title="Prévention des TMS",
            description="Démarches de prévention dans l’aide à domicile.",
            lead_organisation=anact,
        ),
        "other_action": ActionFactory(
            programme=programme,
            title="Prospective du travail",
            description="Le travail dans 40 ans",
        ),
        "convention": ConventionFactory(
            agreement=agreement,
            title="Convention sur les risques psychosociaux",
            purpose="Prévention des risques psychosociaux dans les TPE.",
        ),
        "meeting": MeetingFactory(
            agreement=agreement,
            title="Comité de pilotage annuel",
            place="Saint-Denis",
            minutes="Le groupe prévention présente son rapport.",
        ),
        "organisation": OrganisationFactory(
            name="Service de prévention et de santé au travail", acronym="SPST"
        ),
        "contact": ContactFactory(
            first_name="Hélène", last_name="Prévost", email="helene.prevost@example.fr"
        ),
    }


@pytest.fixture
def hidden(inrs, outsider_organisation):
    """An agreement between INRS and Cnav that Anact staff may not see."""
    agreement = SignedAgreementFactory(
        reference="AC-INRS-CNAV", title="Accord de prévention INRS – Cnav"
    )
    AgreementPartyFactory(agreement=agreement, organisation=inrs)
    AgreementPartyFactory(agreement=agreement, organisation=outsider_organisation)
    programme = ProgrammeFactory(agreement=agreement, year=timezone.localdate().year)
    return {
        "agreement": agreement,
        "action": ActionFactory(programme=programme, title="Prévention de l’usure (confidentiel)"),
        "convention": ConventionFactory(agreement=agreement, title="Prévention confidentielle"),
        "meeting": MeetingFactory(agreement=agreement, title="Prévention : réunion confidentielle"),
    }


def _search(client, user, q):
    client.force_login(user)
    response = client.get(reverse("search"), {"q": q})
    assert response.status_code == 200
    return response


def _found(response):
    """Each kind of record and what was found of it."""
    return {
        group.key: [result.obj for result in group.results] for group in response.context["groups"]
    }


def test_reader_finds_records_of_every_kind_with_their_type_and_link(
    client, records, agreement, anact_reader
):
    response = _search(client, anact_reader, "prévention")
    found = _found(response)
    assert found["actions"] == [records["action"]]
    assert found["conventions"] == [records["convention"]]
    assert found["meetings"] == [records["meeting"]]
    assert found["organisations"] == [records["organisation"]]
    counts = {group.key: group.count for group in response.context["groups"]}
    assert counts == {
        "agreements": 0,
        "conventions": 1,
        "actions": 1,
        "meetings": 1,
        "organisations": 1,
        "contacts": 0,
    }
    assert response.context["total"] == 4
    for record in ("action", "convention", "meeting", "organisation"):
        assert f'href="{records[record].get_absolute_url()}"' in response.text
    assert 'id="results-actions"' in response.text


def test_search_ignores_capitals_and_accents(client, records, anact_reader):
    for q in ("PRÉVENTION DES TMS", "prevention des tms", "Prevention"):
        assert records["action"] in _found(_search(client, anact_reader, q))["actions"], q


def test_the_start_of_a_word_or_a_reference_is_enough(client, records, agreement, anact_reader):
    assert _found(_search(client, anact_reader, "AC-ANACT"))["agreements"] == [agreement]
    assert _found(_search(client, anact_reader, "prévo"))["contacts"] == [records["contact"]]
    assert _found(_search(client, anact_reader, "SPST"))["organisations"] == [
        records["organisation"]
    ]


def test_every_word_must_be_found(client, records, anact_reader):
    found = _found(_search(client, anact_reader, "travail 40"))
    assert found["actions"] == [records["other_action"]]
    assert found["organisations"] == []


def test_contacts_are_found_by_name_and_email(client, records, anact_reader):
    assert _found(_search(client, anact_reader, "Hélène Prévost"))["contacts"] == [
        records["contact"]
    ]
    assert _found(_search(client, anact_reader, "helene.prevost@example.fr"))["contacts"] == [
        records["contact"]
    ]


def test_meetings_are_found_by_place_and_minutes(client, records, anact_reader):
    assert _found(_search(client, anact_reader, "Saint-Denis"))["meetings"] == [records["meeting"]]
    assert _found(_search(client, anact_reader, "rapport"))["meetings"] == [records["meeting"]]


@postgresql_only
def test_on_postgresql_a_stemmed_form_finds_the_word(client, records, anact_reader):
    found = _found(_search(client, anact_reader, "préventions"))
    assert found["actions"] == [records["action"]]
    assert found["conventions"] == [records["convention"]]


def test_a_word_with_a_minus_sign_is_left_out(client, records, anact_reader):
    found = _found(_search(client, anact_reader, "prévention -TMS"))
    assert records["action"] not in found["actions"]
    assert found["meetings"] == [records["meeting"]]


def test_only_words_to_leave_out_is_not_a_search(client, records, anact_reader):
    response = _search(client, anact_reader, "-TMS")
    assert response.context["searched"] is False


def test_quotation_marks_are_allowed(client, records, anact_reader):
    found = _found(_search(client, anact_reader, '"prévention des TMS"'))
    assert found["actions"] == [records["action"]]


def test_matches_in_the_title_come_first(client, programme, anact_reader):
    in_description = ActionFactory(
        programme=programme, title="Aaa étude", description="Outil de prévention"
    )
    in_title = ActionFactory(programme=programme, title="Zzz prévention")
    found = _found(_search(client, anact_reader, "prévention"))
    assert found["actions"] == [in_title, in_description]


def test_results_are_limited_per_kind_with_the_total_count(client, programme, anact_reader):
    for n in range(RESULTS_PER_KIND + 3):
        ActionFactory(programme=programme, title=f"Prévention, volet {n}")
    response = _search(client, anact_reader, "prévention")
    [actions] = [group for group in response.context["groups"] if group.key == "actions"]
    assert len(actions.results) == RESULTS_PER_KIND
    assert actions.count == RESULTS_PER_KIND + 3
    assert actions.truncated
    assert response.context["total"] == RESULTS_PER_KIND + 3


def test_anact_reader_never_finds_what_they_may_not_see(client, records, hidden, anact_reader):
    response = _search(client, anact_reader, "prévention")
    found = _found(response)
    for kind in ("action", "convention", "meeting"):
        assert hidden[kind] not in found[f"{kind}s"]
    assert found["agreements"] == []
    assert "confidentiel" not in response.text.lower()
    assert response.context["total"] == 4


def test_outsider_never_finds_records_of_the_anact_inrs_agreement(
    client, records, hidden, outsider
):
    response = _search(client, outsider, "prévention")
    found = _found(response)
    assert found["agreements"] == [hidden["agreement"]]
    assert found["actions"] == [hidden["action"]]
    assert found["conventions"] == [hidden["convention"]]
    assert found["meetings"] == [hidden["meeting"]]
    # The directories are shared by every staff member.
    assert found["organisations"] == [records["organisation"]]
    for secret in ("Prévention des TMS", "risques psychosociaux", "Comité de pilotage annuel"):
        assert secret not in response.text
    assert _search(client, outsider, "AC-ANACT-INRS").context["total"] == 0


def test_administrator_finds_everything(client, records, hidden, administrator):
    found = _found(_search(client, administrator, "prévention"))
    assert set(found["actions"]) == {records["action"], hidden["action"]}


def test_empty_search_shows_a_helpful_page(
    client, records, anact_reader, django_assert_num_queries
):
    client.force_login(anact_reader)
    # session, user: nothing is searched.
    # ... and the bell's unread count.
    with django_assert_num_queries(3):
        response = client.get(reverse("search"))
    assert response.status_code == 200
    assert response.context["searched"] is False
    assert response.context["groups"] == []
    assert 'id="search-help-title"' in response.text
    for q in ("", "   "):
        response = _search(client, anact_reader, q)
        assert response.context["searched"] is False


def test_nothing_found_says_so(client, records, anact_reader):
    response = _search(client, anact_reader, "zythologie")
    assert response.context["searched"] is True
    assert response.context["total"] == 0


@pytest.mark.parametrize(
    "q",
    [
        "100%",
        "_",
        "prévention' OR 1=1 --",
        '"prévention',
        "<script>alert(1)</script>",
        "x" * 1000,
        "a " * 100,
        "& | ! :*",
    ],
)
def test_odd_input_is_searched_safely(client, records, anact_reader, q):
    response = _search(client, anact_reader, q)
    assert "<script>alert(1)</script>" not in response.text
    assert len(response.context["query"]) <= 200


def test_the_query_is_kept_in_the_search_boxes(client, records, anact_reader):
    response = _search(client, anact_reader, "prévention TMS")
    assert response.text.count('value="prévention TMS"') == 2  # navigation bar and page


def test_post_is_not_allowed(client, anact_reader):
    client.force_login(anact_reader)
    assert client.post(reverse("search"), {"q": "prévention"}).status_code == 405


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(reverse("search"), {"q": "prévention"})
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize("rows", [1, 30])
def test_search_query_count_does_not_grow(
    client, agreement, programme, anact, anact_coordinator, django_assert_num_queries, rows
):
    for n in range(rows):
        ActionFactory(programme=programme, title=f"Prévention {n}", lead_organisation=anact)
        ConventionFactory(agreement=agreement, title=f"Convention de prévention {n}")
        MeetingFactory(
            agreement=agreement,
            title=f"Réunion prévention {n}",
            starts_at=timezone.now() + datetime.timedelta(days=n),
            ends_at=timezone.now() + datetime.timedelta(days=n, hours=2),
        )
        organisation = OrganisationFactory(name=f"Prévention régionale {n}")
        ContactFactory(last_name=f"Prévention {n}", organisation=organisation)
        agreement_n = SignedAgreementFactory(title=f"Accord de prévention {n}")
        AgreementPartyFactory(agreement=agreement_n, organisation=anact)
    client.force_login(anact_coordinator)
    # session, user, staff profile; one query per kind of record (agreements, conventions,
    # actions, meetings, organisations, contacts), the total counted by a window function.
    # ... and the bell's unread count.
    with django_assert_num_queries(10):
        response = client.get(reverse("search"), {"q": "prévention"})
    assert response.context["total"] == 6 * rows


def test_fold_removes_accents_and_capitals():
    assert fold("Évaluation ÉLÈVE Noël œuvre") == "evaluation eleve noel œuvre"


@postgresql_only
@pytest.mark.django_db
@pytest.mark.parametrize("key", ["actions", "meetings", "conventions"])
def test_the_search_of_the_big_tables_uses_their_indexes_on_postgresql(key):
    """The migrations' indexes match the search's own expressions: PostgreSQL can use them
    (without them every search computes the full-text vector of every row)."""
    from partnership.overview.search import KINDS, _matches, _words

    kind = next(kind for kind in KINDS if kind.key == key)
    matches = _matches(kind, "prévention", _words("prévention"), True)
    sql, params = matches.select_related(None).order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        # Small test tables: forbid reading them whole, so that the plan shows whether
        # the indexes can answer the search's conditions.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"search_{key}_fts" in plan
    assert f"search_{key}_fold" in plan


@postgresql_only
@pytest.mark.django_db
def test_the_planner_computes_no_searched_text_per_row_on_thousands_of_actions(programme, anact):
    """Left to its own costs, PostgreSQL answers a search of 3,000 actions without computing
    the French vector or the folded text of any row: from the indexes, or reading the stored
    columns. With the fold written as translate() inline, priced as one operator, it read every
    row computing both (search: 7 requests per second on the benchmark data); with them
    computed from the text, each candidate and each ranked match cost their computation."""
    from partnership.models import Action
    from partnership.overview.search import KINDS, _matches, _words

    words = ["prévention", "évaluation", "formation", "qualité", "télétravail", "risques"]
    Action.objects.bulk_create(
        Action(
            programme=programme,
            title=f"{words[n % len(words)].capitalize()} {n}",
            description=f"Démarche {n} : {words[(n * 7) % len(words)]} dans les entreprises.",
            kind=Action.Kind.STUDY,
            lead_organisation=anact,
            planned_start=datetime.date(2026, 1, 15),
            planned_end=datetime.date(2026, 12, 15),
        )
        for n in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE partnership_action")
    kind = next(kind for kind in KINDS if kind.key == "actions")
    matches = _matches(kind, "prévention", _words("prévention"), True)
    sql, params = matches.select_related(None).order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    conditions = [line for line in plan.splitlines() if "Filter" in line or "Cond" in line]
    assert any("search_folded" in line for line in conditions)
    for line in conditions:
        assert "to_tsvector" not in line
        assert "partnership_fold" not in line
    # Nor when ranking the first page of matches (a title's matches first): the folded titles
    # are a stored column too. Folding each match's title cost about 7 ms of 9 for a common
    # word on the benchmark data.
    sql, params = matches.select_related(None)[:10].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (VERBOSE) " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "search_headline" in plan
    assert "to_tsvector" not in plan and "partnership_fold" not in plan


@postgresql_only
@pytest.mark.django_db
@pytest.mark.parametrize("key", ["actions", "meetings", "conventions"])
def test_the_big_tables_keep_their_searched_texts_instead_of_computing_them_per_row(key):
    """The French vector and the folded text are read from the table's generated columns, for
    matching and ranking alike: computed from the text of each candidate, the actions' search
    spent 45 of its 57 ms rechecking and ranking on the benchmark data."""
    from partnership.overview.search import KINDS, _matches, _words

    kind = next(kind for kind in KINDS if kind.key == key)
    matches = _matches(kind, "prévention", _words("prévention"), True)
    sql, _params = matches.query.sql_with_params()
    assert '"search_vector"' in sql
    assert '"search_folded"' in sql
    assert "to_tsvector" not in sql


@postgresql_only
def test_an_edited_action_is_found_by_its_new_words_at_once(
    client, anact_coordinator, programme, anact
):
    """PostgreSQL computes the stored vector again on every update: nothing to refresh."""
    action = ActionFactory(programme=programme, lead_organisation=anact, title="Étude initiale")
    client.force_login(anact_coordinator)
    assert client.get(reverse("search"), {"q": "ergonomie"}).context["total"] == 0
    action.description = "Les risques ergonomiques des postes de travail."
    action.save()
    # Found by the French stem alone ("ergonomie" is not in the text): the vector was updated.
    assert client.get(reverse("search"), {"q": "ergonomie"}).context["total"] == 1
