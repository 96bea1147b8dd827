"""The writes of experimentations: phases move in order, and past the trial only by a decision.

Starting the trial needs what the design must produce (a lead, a territory, an evaluation
method, the criteria of the first gate). Each later move (trial → evaluation → extension →
deployment) is a *stage decision*: ``experimentation_decide`` records, for every criterion
written for that gate, whether it was met and the evidence, who decided and when, and moves
the phase in the same transaction. "Stop" is a decision too.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from experimentations import imports
from experimentations.models import (
    GATE_CLOSING,
    GATE_TRANSITION,
    CriterionAssessment,
    EnrolledCompany,
    Experimentation,
    Gate,
    StageDecision,
)
from partnership.core.lifecycle import TransitionError, apply_transition, lock
from partnership.discussion.events import notify
from partnership.discussion.models import Event
from partnership.documents.models import Document

Phase = Experimentation.Phase
Outcome = StageDecision.Outcome
GATED_TRANSITIONS = set(GATE_TRANSITION.values())


def _told(record, user):
    """The record's followers hear of its new status."""
    notify(Event.STATUS_CHANGED, record, user)
    return record


@dataclass(frozen=True)
class Assessment:
    """What the decision says of one criterion."""

    met: bool | None
    evidence_document: Document | None = None
    evidence_url: str = ""
    note: str = ""

    @property
    def has_evidence(self):
        return self.evidence_document is not None or bool(self.evidence_url.strip())


def _quoted(criteria):
    return ", ".join(f"« {criterion.text[:80]} »" for criterion in criteria)


def _check_trial_ready(experimentation: Experimentation) -> None:
    """What the design must have produced before the trial starts."""
    if not experimentation.partners.filter(is_lead=True).exists():
        raise TransitionError(_("Name the lead partner before starting the trial."))
    if not experimentation.territories.exists():
        raise TransitionError(_("Choose at least one territory before starting the trial."))
    evaluation = getattr(experimentation, "evaluation", None)
    if evaluation is None or not evaluation.method.strip():
        raise TransitionError(
            _("Describe the evaluation method before starting the trial."), code="no_method"
        )
    if not experimentation.criteria.filter(gate=Gate.EVALUATION).exists():
        raise TransitionError(
            _(
                "Write the criteria of the first stage decision (%(gate)s) before the trial: "
                "what must be observed to go on."
            )
            % {"gate": Gate.EVALUATION.label},
            code="no_criteria",
        )


def _check_go_ready(experimentation: Experimentation, gate: str) -> None:
    """What each phase must have produced, besides its criteria, before the next one."""
    if gate == Gate.EVALUATION:
        if not experimentation.companies.exists():
            raise TransitionError(
                _("Enrol at least one company before evaluating the trial."), code="no_company"
            )
    else:
        evaluation = getattr(experimentation, "evaluation", None)
        if evaluation is None or not evaluation.findings.strip():
            raise TransitionError(
                _("Record the findings of the evaluation before extending or deploying."),
                code="no_findings",
            )


@transaction.atomic
def experimentation_advance(*, experimentation: Experimentation, user, name: str):
    """Start the trial. The later phases are reached by a stage decision only."""
    if name == "stop":
        raise TransitionError(_("Stopping an experimentation needs a reason."))
    experimentation = lock(experimentation)
    Experimentation.lifecycle.check_source(experimentation, name)
    if name in GATED_TRANSITIONS:
        raise TransitionError(
            _(
                "Moving on to the next phase is a stage decision: record it with the "
                "assessment of each of its criteria."
            ),
            code="decision_needed",
        )
    _check_trial_ready(experimentation)
    return _told(apply_transition(experimentation, name, user=user), user)


def check_gate(experimentation: Experimentation, gate: str) -> None:
    """The decision expected now is the one closing the current phase: none may be skipped."""
    if gate not in Gate.values:
        raise TransitionError(_("Unknown stage decision."), code="unknown_gate")
    expected = GATE_CLOSING.get(experimentation.status)
    if gate == expected:
        return
    if expected is None:
        raise TransitionError(
            _("The experimentation is in the “%(phase)s” phase: no stage decision is expected now.")
            % {"phase": experimentation.get_status_display()},
            code="no_decision_expected",
        )
    raise TransitionError(
        _(
            "The experimentation is in the “%(phase)s” phase: the decision expected is "
            "“%(expected)s”, not “%(gate)s”. A phase cannot be skipped."
        )
        % {
            "phase": experimentation.get_status_display(),
            "expected": Gate(expected).label,
            "gate": Gate(gate).label,
        },
        code="phase_skipped",
    )


def _check_evidence_documents(experimentation, assessments) -> None:
    """Evidence documents belong to the experimentation's agreement or to its conventions."""
    agreement_id = experimentation.agreement_id
    ids = {a.evidence_document.pk for a in assessments.values() if a.evidence_document}
    if not ids:
        return
    allowed = set(
        Document.objects.filter(pk__in=ids)
        .filter(Q(agreement_id=agreement_id) | Q(convention__agreement_id=agreement_id))
        .values_list("pk", flat=True)
    )
    if ids - allowed:
        raise TransitionError(
            _(
                "An evidence document must be one of the documents of the experimentation's "
                "agreement or of its conventions."
            ),
            code="foreign_document",
        )


@transaction.atomic
def experimentation_decide(
    *,
    experimentation: Experimentation,
    user,
    gate: str,
    outcome: str,
    assessments: dict,
    comment: str = "",
) -> StageDecision:
    """Record the decision at a gate and move the phase accordingly, all or nothing.

    ``assessments`` maps a criterion's id to an ``Assessment``. Going on needs every criterion
    of the gate assessed, each with its evidence, and a comment if one was not met; stopping
    needs its reason in the comment (and no criterion) and may assess the criteria there are.
    """
    experimentation = lock(experimentation)
    if outcome not in Outcome.values:
        raise TransitionError(
            _("Choose whether the experimentation goes on or stops."), code="no_outcome"
        )
    check_gate(experimentation, gate)
    comment = comment.strip()
    criteria = list(experimentation.criteria.filter(gate=gate).order_by("position", "pk"))
    if not criteria and outcome == Outcome.GO:
        raise TransitionError(
            _(
                "No criterion was written for the decision “%(gate)s”: write what must be "
                "observed to go on (on the experimentation's edit page) before deciding."
            )
            % {"gate": Gate(gate).label},
            code="no_criteria",
        )
    by_id = {criterion.pk: criterion for criterion in criteria}
    unknown = set(assessments) - set(by_id)
    if unknown:
        raise TransitionError(
            _("An assessment refers to a criterion of another decision."), code="foreign_criterion"
        )
    given = {pk: a for pk, a in assessments.items() if a is not None and a.met is not None}

    if outcome == Outcome.GO:
        missing = [c for c in criteria if c.pk not in given]
        if missing:
            raise TransitionError(
                _("Say whether each criterion was met before going on. Not assessed: %(list)s.")
                % {"list": _quoted(missing)},
                code="not_assessed",
            )
        without_evidence = [c for c in criteria if not given[c.pk].has_evidence]
        if without_evidence:
            raise TransitionError(
                _("Give the evidence (a document or a link) of each criterion. Missing: %(list)s.")
                % {"list": _quoted(without_evidence)},
                code="no_evidence",
            )
        unmet = [c for c in criteria if not given[c.pk].met]
        if unmet and not comment:
            raise TransitionError(
                _("Going on although a criterion was not met: say why in the comment (%(list)s).")
                % {"list": _quoted(unmet)},
                code="comment_needed",
            )
        _check_go_ready(experimentation, gate)
        transition = GATE_TRANSITION[Gate(gate)]
        Experimentation.lifecycle.check_source(experimentation, transition)
    else:
        if not comment:
            raise TransitionError(_("Say why the experimentation is stopped."), code="no_reason")
        transition = "stop"
    _check_evidence_documents(experimentation, given)

    decision = StageDecision(
        experimentation=experimentation,
        gate=gate,
        outcome=outcome,
        decided_by=user,
        decided_at=timezone.now(),
        comment=comment,
    )
    decision._history_user = user
    decision.save()
    for pk, assessment in given.items():
        row = CriterionAssessment(
            decision=decision,
            criterion=by_id[pk],
            met=assessment.met,
            evidence_document=assessment.evidence_document,
            evidence_url=assessment.evidence_url.strip(),
            note=assessment.note.strip(),
        )
        row._history_user = user
        row.save()

    label = Gate(gate).label
    if outcome == Outcome.STOP:
        experimentation.stop_reason = comment
        apply_transition(
            experimentation, "stop", user=user, update_fields=["stop_reason"], reason=comment
        )
    else:
        apply_transition(
            experimentation, transition, user=user, reason=_("decision %(gate)s") % {"gate": label}
        )
    decision.experimentation = experimentation
    return decision


@transaction.atomic
def experimentation_stop(*, experimentation: Experimentation, user, reason: str):
    """Stop with a reason. Past the design, this is the stop decision of the current gate."""
    experimentation = lock(experimentation)
    Experimentation.lifecycle.check_source(experimentation, "stop")
    if not reason.strip():
        raise TransitionError(_("Say why the experimentation is stopped."))
    gate = experimentation.current_gate
    if gate is not None:
        experimentation_decide(
            experimentation=experimentation,
            user=user,
            gate=gate,
            outcome=Outcome.STOP,
            assessments={},
            comment=reason,
        )
        experimentation.refresh_from_db()
        return experimentation
    experimentation.stop_reason = reason.strip()
    return _told(
        apply_transition(
            experimentation, "stop", user=user, update_fields=["stop_reason"], reason=reason.strip()
        ),
        user,
    )


class ImportRefused(Exception):
    """A row of the import is no longer valid (a company enrolled meanwhile...)."""

    def __init__(self, rows):
        super().__init__("import refused")
        self.rows = rows


@transaction.atomic
def companies_import(*, experimentation: Experimentation, user, rows: list) -> int:
    """Enrol the companies of an import, all or none.

    ``rows`` are ``(line, values)`` as checked at the preview; they are checked again here,
    the experimentation locked, so that two imports at once cannot enrol the same company
    twice. Any wrong row refuses the whole import (``ImportRefused`` with every row checked).
    """
    experimentation = lock(experimentation)
    checked = imports.validate_rows(
        experimentation, [(line, values, False) for line, values in rows]
    )
    if not all(row.ok for row in checked):
        raise ImportRefused(checked)
    companies = [EnrolledCompany(experimentation=experimentation, **row.cleaned) for row in checked]
    bulk_create_with_history(
        companies,
        EnrolledCompany,
        default_user=user,
        default_change_reason=_("Imported from a file"),
    )
    return len(companies)
