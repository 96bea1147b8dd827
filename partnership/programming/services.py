"""Each party's programming: when it opens, its overlaps, and the joint actions born from it.

The programming of the coming years opens at la rentrée, the day the preparation of next
year's joint programme opens (``preparation_opens_on``): from September of year N the
parties enter what they plan for N+1 and N+2. A coordinator may open it earlier; the
opening is recorded.

Overlaps are found over the projects read in one query: two projects of different parties
overlap when they share their theme and their planned periods meet (in Python), or when
their titles and summaries have close words: at least two words in common, and
``WORD_SIMILARITY`` of their words. On PostgreSQL the words are those of its full-text
search (the lexemes of the French configuration, over the search's ``partnership_fold``),
counted in one query; on SQLite, in Python, the significant words (folded the same way, cut
to their first letters so that "étude" and "études" meet, less a list of stop words).
Both compare only the projects sharing a word that few projects use; they find the same
pairs on the demonstration data (tests/test_programming_sectors.py).
"""

import datetime
import heapq
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnership.agreements.models import Agreement
from partnership.core import reasons
from partnership.core.lifecycle import TransitionError, lock
from partnership.core.remembered import content_key, remembered
from partnership.core.text import fold
from partnership.programmes.models import Programme
from partnership.programmes.services import preparation_opens_on
from partnership.programming.models import PlannedProject, ProgrammingOpening
from partnership.rules import (
    is_administrator,
    profile_of,
    programming_entered_in,
)

YEARS_AHEAD = 2  # next year and the one after
WORD_SIMILARITY = 0.3  # share of their significant words two projects have in common
# A word that many projects use says little of what they are about: one in ten, at least 20.
COMMON_WORD_SHARE, COMMON_WORD_MIN = 10, 20
CLOSEST = 3  # the overlaps kept for each project: its closest projects of the other parties
STEM = 6
STOP_WORDS = frozenset(
    [
        "les",
        "des",
        "une",
        "dans",
        "pour",
        "par",
        "sur",
        "avec",
        "aux",
        "ses",
        "son",
        "sont",
        "est",
        "qui",
        "que",
        "quoi",
        "dont",
        "entre",
        "plus",
        "leur",
        "leurs",
        "nous",
        "vous",
        "ils",
        "elles",
        "cette",
        "ces",
        "comme",
        "mais",
        "ainsi",
        "afin",
        "tout",
        "tous",
        "toute",
        "toutes",
        "lors",
        "pres",
        "sans",
        "sous",
        "vers",
        "chez",
        "etre",
        "avoir",
        "fait",
        "faire",
        "deux",
        "trois",
        "annee",
        "projet",
        "projets",
        "the",
        "and",
        "for",
        "with",
        "from",
        "into",
        "about",
        "their",
    ]
)


def programming_round(today: datetime.date | None = None) -> int:
    """The first year of the programming the parties are preparing now: next year from
    September on (la rentrée), this year before."""
    today = today or timezone.localdate()
    return today.year + 1 if today >= preparation_opens_on(today.year + 1) else today.year


def programming_years(today: datetime.date | None = None) -> list[int]:
    """The years whose programming is offered: next year and the one after (from la
    rentrée; before it, this year and next year)."""
    first = programming_round(today)
    return [first + offset for offset in range(YEARS_AHEAD)]


def opens_on(year: int) -> datetime.date:
    """The day the programming of ``year`` opens: la rentrée two years before, when it is
    "the year after" the next one."""
    return preparation_opens_on(year - 1)


def opened_years(agreement) -> set[int]:
    return set(
        ProgrammingOpening.objects.filter(agreement=agreement).values_list("year", flat=True)
    )


def is_open(year: int, opened: set[int], today: datetime.date | None = None) -> bool:
    """The programming of ``year`` is open: la rentrée of the year before has come (or of
    two years before: then it is "the year after"), or a coordinator opened it (or the year
    before it) early."""
    today = today or timezone.localdate()
    return today >= opens_on(year) or year in opened or (year - 1) in opened


def invitation_year(agreement, opened=None, today: datetime.date | None = None):
    """The next year whose programming the parties are invited to enter now (from
    September, or from a recorded opening), or None."""
    today = today or timezone.localdate()
    opened = opened_years(agreement) if opened is None else opened
    next_year = today.year + 1
    if today >= preparation_opens_on(next_year) or next_year in opened:
        return next_year
    return None


def programming_invitations(user, today: datetime.date | None = None) -> list:
    """The agreements whose parties are invited now to enter their programming of next year,
    for a contributor or coordinator of a party: from la rentrée, or once a coordinator
    opened it. Each with ``invited_year`` and ``own_project_count`` (the projects their
    organisation entered for that year). One query; none for whoever enters no programming
    (readers; administrators, who reach every programming from the agreements' pages)."""
    if is_administrator(user):
        return []
    profile = profile_of(user)
    if profile is None:
        return []
    today = today or timezone.localdate()
    year = today.year + 1
    # Each agreement's own projects counted in a subquery on the (agreement, year,
    # organisation) index: a join counted every project of every year and party first.
    own_projects = (
        PlannedProject.objects.filter(
            agreement=OuterRef("pk"), year=year, organisation_id=profile.organisation_id
        )
        .order_by()
        .values("agreement")
        .annotate(count=Count("pk"))
        .values("count")
    )
    agreements = (
        programming_entered_in(Agreement.objects.signed(), user)
        .annotate(
            opened=Exists(ProgrammingOpening.objects.filter(agreement=OuterRef("pk"), year=year)),
            own_project_count=Coalesce(Subquery(own_projects), 0),
        )
        .order_by("reference")
    )
    if today < preparation_opens_on(year):
        agreements = agreements.filter(opened=True)
    rows = list(agreements)
    for agreement in rows:
        agreement.invited_year = year
    return rows


@transaction.atomic
def programming_open(*, agreement, year: int, user) -> ProgrammingOpening:
    """A coordinator opens the programming of ``year`` (and the year after it) early."""
    opening, _created = ProgrammingOpening.objects.get_or_create(
        agreement=agreement, year=year, defaults={"opened_by": user}
    )
    return opening


# Overlaps ------------------------------------------------------------------------------


def significant_words(text: str) -> set[str]:
    """The words that say what a text is about, folded and cut to their stem."""
    return {
        word[:STEM]
        for word in re.findall(r"[a-z0-9]+", fold(text))
        if len(word) >= 3 and word not in STOP_WORDS
    }


def _period(project):
    year_start = datetime.date(project.year, 1, 1)
    year_end = datetime.date(project.year, 12, 31)
    return project.planned_start or year_start, project.planned_end or year_end


@dataclass
class Overlap:
    first: PlannedProject
    second: PlannedProject
    same_theme: bool = False
    similarity: float = 0.0
    common_words: list = field(default_factory=list)

    @property
    def projects(self):
        return [self.first, self.second]

    @property
    def theme(self):
        return self.first.theme if self.same_theme else (self.first.theme or self.second.theme)

    @property
    def reasons(self) -> list[str]:
        reasons = []
        if self.same_theme:
            reasons.append(str(_THEME_AND_PERIOD))
        if self.similarity >= WORD_SIMILARITY:
            reasons.append(str(_CLOSE_WORDS))
        return reasons

    @property
    def settled(self) -> bool:
        """Both projects became the same joint action, or are coordinated already."""
        first, second = self.first, self.second
        if first.joint_action_id and first.joint_action_id == second.joint_action_id:
            return True
        return first.coordinated and second.coordinated


_THEME_AND_PERIOD = gettext_lazy("same theme, periods that meet")
_CLOSE_WORDS = gettext_lazy("close words")


def find_overlaps(projects, per_project: int = CLOSEST) -> list[Overlap]:
    """The pairs of projects of different parties that overlap, dropped projects left out:
    same theme with periods that meet, or close words (at least two significant words in
    common, ``WORD_SIMILARITY`` of them). Each project keeps its ``per_project`` closest
    projects of the other parties (close words first), so that a theme where every party
    plans much does not list every pair. By theme name, then by title.

    The pairs depend on the projects' parties, themes, periods, titles and summaries only:
    they are kept in the shared cache under a key made of those (``remembered``), so a page
    showing the same projects again, on any server, does not look for them again. The
    projects come with their theme and organisation: no query when the pairs are kept, else
    none on SQLite, one on PostgreSQL (the close words)."""
    projects = [p for p in projects if p.certainty != PlannedProject.Certainty.DROPPED]
    by_pk = {project.pk: project for project in projects}
    # The search reads plain tuples: (key, party, theme, start, end) of each project.
    rows = {pk: (pk, p.organisation_id, p.theme_id, *_period(p)) for pk, p in by_pk.items()}
    content = (
        OVERLAPS_VERSION,
        connection.vendor,  # the words of PostgreSQL's full-text search, or Python's
        (per_project, WORD_SIMILARITY, COMMON_WORD_SHARE, COMMON_WORD_MIN, STEM),
        [rows[pk] for pk in sorted(rows)],
        sorted((p.pk, p.title, p.summary) for p in projects),
    )

    def search():
        close = close_word_pairs(projects)
        return [(key, close.get(key, 0.0)) for key in _closest_pairs(rows, close, per_project)]

    overlaps = []
    for key, similarity in remembered(content_key("overlaps", *content), search):
        overlap = Overlap(
            by_pk[key[0]],
            by_pk[key[1]],
            same_theme=_same_theme(rows[key[0]], rows[key[1]]),
            similarity=similarity,
        )
        theme = overlap.theme
        order = (theme is None, theme.name if theme else "", overlap.first.title)
        overlaps.append((*order, overlap.second.title, key, overlap))
    overlaps.sort(key=lambda item: item[:5])
    return [item[-1] for item in overlaps]


# Bumped when the search below or the words it compares change (its settings above are part
# of the key already): the pairs kept by the previous code are then left to expire.
OVERLAPS_VERSION = 1


def _same_theme(first, second):
    """Same theme, periods that meet (the projects are of different parties)."""
    return (
        first[2] is not None
        and first[2] == second[2]
        and first[3] <= second[4]
        and second[3] <= first[4]
    )


def _closest_pairs(rows, close, per_project) -> set:
    """The keys of the pairs each project keeps: its ``per_project`` closest projects of the
    other parties, given the rows (key, party, theme, start, end) and the pairs of close
    words with their similarity."""
    close_to = defaultdict(list)
    for key in close:
        close_to[key[0]].append(key)
        close_to[key[1]].append(key)
    # A pair's score: its close words' similarity, half a point more for the same theme with
    # periods that meet; the smaller pair first among equal scores. A project's pairs of the
    # same theme without close words all score one half, and the smaller pair is the one with
    # the smaller other project: its first ``per_project`` such pairs with each other party,
    # taken in the order of the projects' keys, are the only ones that can be among its
    # closest. So the pairs of a theme are not all listed (a page has tens of thousands):
    # each project looks through the other parties' projects of its theme only until it has
    # found that many of each.
    by_theme = defaultdict(lambda: defaultdict(list))  # theme -> party -> its projects' rows
    for pk in sorted(rows):
        row = rows[pk]
        if row[2] is not None:
            by_theme[row[2]][row[1]].append(row)
    kept = set()
    for row in rows.values():
        pk, party = row[0], row[1]
        candidates = []
        for key in close_to[pk]:
            other = rows[key[0] if key[1] == pk else key[1]]
            bonus = 0.5 if _same_theme(row, other) else 0.0
            candidates.append((-(close[key] + bonus), key))
        for other_party, others in by_theme[row[2]].items() if row[2] is not None else ():
            if other_party == party:
                continue
            wanted = per_project
            for other in others:
                key = (pk, other[0]) if pk < other[0] else (other[0], pk)
                if key not in close and _same_theme(row, other):
                    candidates.append((-0.5, key))
                    wanted -= 1
                    if not wanted:
                        break
        kept.update(key for _score, key in heapq.nsmallest(per_project, candidates))
    return kept


def close_word_pairs(projects) -> dict:
    """The pairs of projects of different parties whose titles and summaries have close
    words, ``{(pk, pk): similarity}`` with the smaller key first."""
    if not projects:
        return {}
    if connection.vendor == "postgresql":
        return _close_word_pairs_postgresql(projects)
    return _close_word_pairs_python(projects)


def _close_word_pairs_python(projects) -> dict:
    words = {p.pk: significant_words(f"{p.title} {p.summary}") for p in projects}
    return _pairs_sharing_rare_words(projects, words)


def _close_word_pairs_postgresql(projects) -> dict:
    """The same measure on the words of PostgreSQL's full-text search: the lexemes of the
    folded title and summary in its French configuration (stemmed, French stop words left
    out), kept by PostgreSQL in the generated column ``words`` (migration 0022): one query
    reading them, instead of one computing them for every project of the page and joining
    every pair of words (about 70 ms of the database's time for 500 projects)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, tsvector_to_array(words) FROM partnership_plannedproject"
            " WHERE id = ANY(%s)",
            [[project.pk for project in projects]],
        )
        words = {pk: {word for word in lexemes if len(word) >= 3} for pk, lexemes in cursor}
    return _pairs_sharing_rare_words(projects, words)


def _pairs_sharing_rare_words(projects, words) -> dict:
    """The pairs of projects of different parties with at least two words in common,
    ``WORD_SIMILARITY`` of their words. Only the projects sharing a word are compared, and a
    word that many projects use brings no pair."""
    party = {project.pk: project.organisation_id for project in projects}
    by_word = defaultdict(list)
    for pk in party:
        for word in words[pk]:
            by_word[word].append(pk)
    pairs, compared = {}, set()
    common_word = max(COMMON_WORD_MIN, len(projects) // COMMON_WORD_SHARE)
    for members in by_word.values():
        if len(members) > common_word:
            continue
        for index, first in enumerate(members):
            for second in members[index + 1 :]:
                if party[first] == party[second]:
                    continue
                key = (first, second) if first < second else (second, first)
                if key in compared:
                    continue
                compared.add(key)
                first_words, second_words = words[first], words[second]
                common = len(first_words & second_words)
                similarity = common / len(first_words | second_words)
                if common >= 2 and similarity >= WORD_SIMILARITY:
                    pairs[key] = similarity
    return pairs


def overlaps_by_theme(overlaps) -> list[dict]:
    """The overlaps in groups by theme (without a theme last)."""
    groups = {}
    for overlap in overlaps:
        theme = overlap.theme
        key = (theme is None, theme.name if theme else "")
        label = theme.name if theme else _("No theme")
        groups.setdefault(key, {"label": label, "theme": theme, "overlaps": []})["overlaps"].append(
            overlap
        )
    return [groups[key] for key in sorted(groups)]


# From overlap to joint action ----------------------------------------------------------


def proposal_programme(*, agreement, year: int, user) -> Programme:
    """The joint programme of ``year`` a joint action is proposed in: it must be in
    preparation; it is created (in preparation) if the parties have not started it."""
    programme = Programme.objects.filter(agreement=agreement, year=year).first()
    if programme is None:
        programme = Programme(agreement=agreement, year=year)
        programme._history_user = user
        programme.full_clean()
        programme.save()
    if programme.status != Programme.Status.PREPARATION:
        raise TransitionError(
            _(
                "The joint programme %(year)s is “%(status)s”: a joint action is proposed in "
                "a programme in preparation."
            )
            % {"year": year, "status": programme.get_status_display()}
        )
    return programme


# What a party's project becomes as a joint action (the kinds of ``Action``).
ACTION_KINDS = {
    PlannedProject.Kind.STUDY: "study",
    PlannedProject.Kind.PUBLICATION: "publication",
    PlannedProject.Kind.TRAINING: "training",
    PlannedProject.Kind.INTERVENTION: "experimentation",
    PlannedProject.Kind.TOOL: "transfer",
}


def merged_action_initial(projects) -> dict:
    """What the proposed joint action starts with: the projects' titles and summaries
    merged, their parties as lead (the first project's) and partners, their theme, their
    period."""
    projects = list(projects)
    first = projects[0]
    themes = [project.theme_id for project in projects if project.theme_id]
    starts = [project.planned_start for project in projects if project.planned_start]
    ends = [project.planned_end for project in projects if project.planned_end]
    organisations = []
    for project in projects:
        if project.organisation_id not in organisations:
            organisations.append(project.organisation_id)
    return {
        "title": " / ".join(dict.fromkeys(project.title for project in projects))[:300],
        "description": "\n\n".join(
            f"{project.organisation} – {project.title}\n{project.summary}".strip()
            for project in projects
        ),
        "lead_organisation": first.organisation_id,
        "partners": organisations[1:],
        "theme": themes[0] if themes else None,
        "kind": next((ACTION_KINDS[p.kind] for p in projects if p.kind in ACTION_KINDS), None),
        "planned_start": min(starts) if starts else None,
        "planned_end": max(ends) if ends else None,
    }


def check_proposal(projects, agreement, year) -> None:
    """Two projects or more, of this agreement and year, of at least two parties, none
    turned into a joint action already."""
    if len(projects) < 2:
        raise TransitionError(_("Choose two projects or more to propose a joint action."))
    if any(p.agreement_id != agreement.pk or p.year != year for p in projects):
        raise TransitionError(_("The projects must belong to this programming."))
    if len({p.organisation_id for p in projects}) < 2:
        raise TransitionError(_("A joint action brings together the projects of several parties."))
    taken = [p for p in projects if p.joint_action_id]
    if taken:
        raise TransitionError(
            _("“%(project)s” has already become a joint action.") % {"project": taken[0]}
        )


@transaction.atomic
def link_projects(*, projects, action, user) -> None:
    """The projects become the joint action (their history says who linked them)."""
    for project in projects:
        project = lock(project)
        project.joint_action = action
        project._history_user = user
        project._change_reason = reasons.reason("becomes_joint_action", name=str(action))
        project.save()


@transaction.atomic
def project_coordinate(*, project, user, note: str) -> PlannedProject:
    """Record that the project is coordinated with the other parties without a joint
    action (they keep each other informed); an empty note undoes it."""
    project = lock(project)
    project.coordinated = bool(note.strip())
    project.coordination_note = note.strip()
    project._history_user = user
    project.save()
    return project
