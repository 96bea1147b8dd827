"""Staff pages of the experimentations: list with the map, detail with the stage decisions,
edit (with the criteria of each gate and the indicators), the decision at a gate, enrolled
companies one by one or imported from a file, the evaluation summary and its measurements."""

import secrets

from django.contrib import messages
from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    StringAgg,
    Subquery,
    Value,
    When,
)
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView

from experimentations import evaluation as evaluation_summary
from experimentations import francemap, imports, services
from experimentations.enrolment import EnrolledCompanyForm
from experimentations.filters import ExperimentationFilter
from experimentations.forms import (
    CompanyImportForm,
    DecisionForm,
    EvaluationFormSet,
    ExperimentationForm,
    IndicatorFormSet,
    MeasurementForm,
    PartnerFormSet,
    StageCriterionFormSet,
    StopForm,
    TerritoryFormSet,
)
from experimentations.models import (
    GATE_ORDER,
    CriterionAssessment,
    EnrolledCompany,
    Experimentation,
    ExperimentationPartner,
    Gate,
    Measurement,
    StageCriterion,
    StageDecision,
)
from partnership.agreements.models import Agreement
from partnership.core import crud
from partnership.core.lifecycle import TransitionError
from partnership.discussion.views import ReadsFollowState
from partnership.documents.models import Document
from partnership.rules import agreements_permitting

# The phases in their order, "stopped" last: sorting the list "by phase" follows the workflow.
PHASE_RANK = Case(
    *(When(status=phase, then=Value(rank)) for rank, phase in enumerate(Experimentation.ORDER)),
    default=Value(len(Experimentation.ORDER)),
    output_field=IntegerField(),
)


def _partners():
    return Prefetch(
        "partners",
        ExperimentationPartner.objects.select_related("organisation").order_by(
            "-is_lead", "organisation__name"
        ),
    )


def phase_steps(experimentation):
    """The ordered phases with, for each, whether it is done, current or still to come."""
    status = experimentation.status
    current = Experimentation.ORDER.index(status) if status in Experimentation.ORDER else None
    reached = current
    if current is None:
        # A stopped experimentation: the phases it went through are in its history.
        reached = _last_phase_reached(experimentation)
    steps = []
    for index, phase in enumerate(Experimentation.ORDER):
        if current is not None and index == current:
            state = "current"
        elif reached is not None and index <= reached:
            state = "done"
        else:
            state = "todo"
        steps.append({"value": phase.value, "label": phase.label, "state": state})
    return steps


def _last_phase_reached(experimentation):
    statuses = set(experimentation.history.values_list("status", flat=True).distinct())
    ranks = [i for i, phase in enumerate(Experimentation.ORDER) if phase in statuses]
    return max(ranks) if ranks else None


class ExperimentationMixin:
    model = Experimentation

    def base_queryset(self):
        return Experimentation.objects.select_related("agreement", "convention")


class ExperimentationList(ExperimentationMixin, crud.StaffListView):
    filterset_class = ExperimentationFilter

    def base_queryset(self):
        return (
            super()
            .base_queryset()
            .prefetch_related(_partners(), "territories")
            .annotate(company_count=Count("companies", distinct=True), phase_rank=PHASE_RANK)
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        # The map counts the companies of every experimentation the person sees.
        counts = dict(
            EnrolledCompany.objects.all()
            .visible_to(user)
            .values_list("region")
            .annotate(count=Count("pk"))
            .order_by()
        )
        context.update(
            _map_context(counts, selected=self.request.GET.get("region", "")),
            map_caption=gettext("Enrolled companies by region, all experimentations"),
        )
        # An experimentation is created under an agreement: offer the ones the person may use.
        if context["can_add"]:
            context["agreements_for_new"] = agreements_permitting(
                user,
                "experimentations.add_experimentation",
                Agreement.objects.all().visible_to(user).order_by("reference"),
            )
        return context


def _map_context(counts, *, selected=""):
    regions = francemap.regions_for(counts, selected=selected)
    list_url = reverse("experimentations:experimentation_list")
    for region in regions:
        region["url"] = f"{list_url}?region={region['code']}"
    return {
        "map_regions": regions,
        "map_legend": francemap.legend(),
        "map_width": francemap.WIDTH,
        "map_height": francemap.HEIGHT,
        "map_total": sum(counts.values()),
    }


def _decisions():
    return Prefetch(
        "decisions",
        StageDecision.objects.select_related("decided_by").prefetch_related(
            Prefetch(
                "assessments",
                CriterionAssessment.objects.select_related("evidence_document"),
            )
        ),
    )


def gate_sections(experimentation):
    """Each gate in order: its criteria, its decision if taken, and where it stands."""
    criteria = {gate: [] for gate in GATE_ORDER}
    for criterion in experimentation.criteria.all():
        criteria[criterion.gate].append(criterion)
    decisions = {decision.gate: decision for decision in experimentation.decisions.all()}
    current = experimentation.current_gate
    sections = []
    for gate in GATE_ORDER:
        decision = decisions.get(gate)
        assessments = {}
        if decision is not None:
            assessments = {a.criterion_id: a for a in decision.assessments.all()}
        if decision is not None:
            state = decision.outcome
        elif gate == current:
            state = "awaiting"
        elif experimentation.status == Experimentation.Phase.STOPPED:
            state = "unreached"
        else:
            state = "todo"
        sections.append(
            {
                "gate": gate,
                "label": gate.label,
                "state": state,
                "decision": decision,
                "criteria": [
                    {"criterion": criterion, "assessment": assessments.get(criterion.pk)}
                    for criterion in criteria[gate]
                ],
            }
        )
    return sections


class ExperimentationDetail(ReadsFollowState, ExperimentationMixin, crud.StaffDetailView):
    def base_queryset(self):
        return (
            super()
            .base_queryset()
            .select_related("evaluation__report")
            .prefetch_related(
                _partners(),
                "territories",
                Prefetch("companies", EnrolledCompany.objects.order_by("name")),
                Prefetch("criteria", StageCriterion.objects.order_by("position", "pk")),
                _decisions(),
                "indicators",
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        experimentation = self.object
        user = self.request.user
        counts = {}
        for company in experimentation.companies.all():
            counts[company.region] = counts.get(company.region, 0) + 1
        can_change = user.has_perm("experimentations.change_experimentation", experimentation)
        context.update(
            evaluation=getattr(experimentation, "evaluation", None),
            phase_steps=phase_steps(experimentation),
            gates=gate_sections(experimentation),
            can_change=can_change,
            can_add_company=user.has_perm("experimentations.add_enrolledcompany", experimentation),
            can_change_companies=user.has_perm(
                "experimentations.change_enrolledcompany", experimentation
            ),
            map_caption=gettext("Enrolled companies by region in this experimentation"),
            **_map_context(counts),
        )
        return context


class ExperimentationFormMixin(ExperimentationMixin):
    form_class = ExperimentationForm
    formset_classes = {
        "partners": PartnerFormSet,
        "territories": TerritoryFormSet,
        "evaluation": EvaluationFormSet,
        "criteria": StageCriterionFormSet,
        "indicators": IndicatorFormSet,
    }

    def base_queryset(self):
        # The gates already decided, read with the experimentation (their criteria are frozen).
        decided = (
            StageDecision.objects.filter(experimentation=OuterRef("pk"))
            .order_by()
            .values("experimentation")
            .annotate(gates=StringAgg("gate", Value(",")))
            .values("gates")
        )
        return super().base_queryset().annotate(decided_gates_read=Subquery(decided))

    def agreement(self):
        return self.object.agreement

    def decided_gates(self):
        if not getattr(self.object, "pk", None):
            return set()
        if not hasattr(self, "_decided_gates"):
            read = getattr(self.object, "decided_gates_read", None)
            if read is not None or hasattr(self.object, "decided_gates_read"):
                self._decided_gates = set(filter(None, (read or "").split(",")))
            else:
                self._decided_gates = set(self.object.decisions.values_list("gate", flat=True))
        return self._decided_gates

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        decided = self.decided_gates()
        frozen = self.object.criteria.filter(gate__in=decided) if decided else []
        context["frozen_criteria"] = sorted(
            frozen, key=lambda c: (GATE_ORDER.index(c.gate), c.position, c.pk)
        )
        return context

    def get_formset_kwargs(self, name):
        if name == "criteria":
            decided = self.decided_gates()
            return {
                "queryset": StageCriterion.objects.exclude(gate__in=decided).order_by(
                    "position", "pk"
                ),
                "form_kwargs": {"decided_gates": decided},
            }
        if name != "evaluation":
            return {}
        agreement = self.agreement()
        # The report is one of the documents of the agreement or of its conventions.
        documents = (
            Document.objects.filter(Q(agreement=agreement) | Q(convention__agreement=agreement))
            .order_by("title")
            .visible_to(self.request.user)
        )
        return {"form_kwargs": {"documents": documents}}


class ExperimentationCreate(ExperimentationFormMixin, crud.ParentMixin, crud.StaffCreateView):
    parent_model = Agreement
    parent_kwarg = "agreement_pk"
    parent_permission = "experimentations.add_experimentation"
    success_message = _("The experimentation “%(object)s” was created.")

    def agreement(self):
        return self.parent

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = Experimentation(agreement=self.parent)
        return kwargs


class ExperimentationUpdate(ExperimentationFormMixin, crud.StaffUpdateView):
    success_message = _("The experimentation “%(object)s” was saved.")


class ExperimentationDelete(ExperimentationMixin, crud.StaffDeleteView):
    success_url_name = "experimentations:experimentation_list"


def _advance(name):
    def run(view, obj, data):
        return services.experimentation_advance(
            experimentation=obj, user=view.request.user, name=name
        )

    return run


class ExperimentationTransition(ExperimentationMixin, crud.TransitionView):
    """Start the trial, or stop. The phases after the trial open by a stage decision."""

    forms = {"stop": StopForm}
    transitions = {
        "start_trial": _advance("start_trial"),
        "stop": lambda view, obj, data: services.experimentation_stop(
            experimentation=obj, user=view.request.user, reason=data["reason"]
        ),
    }


def _evidence_documents(experimentation, user):
    """Documents of the experimentation's agreement and of its conventions."""
    agreement_id = experimentation.agreement_id
    return (
        Document.objects.filter(
            Q(agreement_id=agreement_id) | Q(convention__agreement_id=agreement_id)
        )
        .order_by("title")
        .visible_to(user)
    )


class ExperimentationDecide(ExperimentationMixin, crud.ScopedMixin, FormView):
    """The decision at the gate closing the current phase: each criterion, then go or stop."""

    permission_action = "change"
    template_name = "experimentations/experimentation_decide.html"

    def dispatch(self, request, *args, **kwargs):
        self.object = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        crud.check_permission(request.user, "experimentations.change_experimentation", self.object)
        self.gate = self.object.current_gate
        if self.gate is None:
            messages.info(
                request,
                gettext("No stage decision is expected in the “%(phase)s” phase.")
                % {"phase": self.object.get_status_display()},
            )
            return HttpResponseRedirect(self.object.get_absolute_url())
        self.criteria = list(self.object.criteria.filter(gate=self.gate).order_by("position", "pk"))
        return super().dispatch(request, *args, **kwargs)

    def get_form(self, form_class=None):
        return DecisionForm(
            **self.get_form_kwargs(),
            experimentation=self.object,
            criteria=self.criteria,
            documents=_evidence_documents(self.object, self.request.user),
        )

    def get_initial(self):
        return {"gate": self.gate}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            object=self.object,
            gate=Gate(self.gate),
            criteria=self.criteria,
            criterion_rows=context["form"].criterion_rows(),
        )
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            decision = services.experimentation_decide(
                experimentation=self.object,
                user=self.request.user,
                gate=data["gate"],
                outcome=data["outcome"],
                assessments=form.assessments(),
                comment=data["comment"],
            )
        except TransitionError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        if decision.outcome == StageDecision.Outcome.GO:
            message = gettext("Decision recorded: the experimentation moves on to “%(phase)s”.")
        else:
            message = gettext("Decision recorded: the experimentation is stopped.")
        messages.success(
            self.request, message % {"phase": decision.experimentation.get_status_display()}
        )
        return HttpResponseRedirect(f"{self.object.get_absolute_url()}#gates")


class EvaluationSummary(ExperimentationMixin, crud.StaffDetailView):
    """The indicators before and after: baseline, latest measure and target, overall and by
    company, and every measurement recorded."""

    template_name = "experimentations/experimentation_evaluation.html"

    def base_queryset(self):
        return super().base_queryset().select_related("evaluation__report")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        experimentation = self.object
        context.update(
            evaluation=getattr(experimentation, "evaluation", None),
            can_add_measurement=self.request.user.has_perm(
                "experimentations.add_measurement", experimentation
            ),
            **evaluation_summary.summary(experimentation),
        )
        return context


# Enrolled companies, added and edited one by one -------------------------------------


class CompanyMixin:
    model = EnrolledCompany

    def base_queryset(self):
        return EnrolledCompany.objects.select_related("experimentation__agreement")

    def experimentation(self):
        return self.object.experimentation

    def get_success_url(self):
        return f"{self.experimentation().get_absolute_url()}#companies"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["experimentation"] = self.experimentation()
        return context


class CompanyCreate(CompanyMixin, crud.ParentMixin, crud.StaffCreateView):
    parent_model = Experimentation
    parent_kwarg = "experimentation_pk"
    parent_permission = "experimentations.add_enrolledcompany"
    form_class = EnrolledCompanyForm
    success_message = _("The company “%(object)s” was enrolled.")

    def experimentation(self):
        return self.parent

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = EnrolledCompany(experimentation=self.parent)
        if self.parent.status in Experimentation.ORDER:
            kwargs.setdefault("initial", {})["joined_phase"] = self.parent.status
        return kwargs


class CompanyUpdate(CompanyMixin, crud.StaffUpdateView):
    form_class = EnrolledCompanyForm
    success_message = _("The company “%(object)s” was saved.")


class CompanyDelete(CompanyMixin, crud.StaffDeleteView):
    template_name = "experimentations/enrolledcompany_confirm_delete.html"


class CompanyImport(crud.ParentMixin, TemplateView):
    """Import companies from a CSV or XLSX file: upload, preview with each row checked, confirm.

    The rows checked at the preview wait in the session (a few kilobytes: 500 rows at most);
    the confirmation checks them again and enrols them all in one transaction, or none.
    """

    parent_model = Experimentation
    parent_kwarg = "experimentation_pk"
    parent_permission = "experimentations.add_enrolledcompany"
    template_name = "experimentations/company_import.html"

    @property
    def session_key(self):
        return f"experimentations:import:{self.parent.pk}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            experimentation=self.parent,
            columns=imports.COLUMNS,
            max_rows=imports.MAX_ROWS,
            max_size=imports.MAX_FILE_SIZE,
        )
        context.setdefault("form", CompanyImportForm())
        return context

    def post(self, request, *args, **kwargs):
        if "confirm" in request.POST:
            return self.confirm()
        form = CompanyImportForm(request.POST, request.FILES)
        request.session.pop(self.session_key, None)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        rows = imports.validate_rows(self.parent, form.table.rows)
        token = ""
        if all(row.ok for row in rows):
            token = secrets.token_urlsafe(16)
            request.session[self.session_key] = {
                "token": token,
                "file": form.table.file_name[:100],
                "rows": [[row.line, *(row.data[f] for f in imports.FIELDS)] for row in rows],
            }
        return self.render_to_response(
            self.get_context_data(
                form=CompanyImportForm(),
                rows=rows,
                error_count=sum(1 for row in rows if not row.ok),
                token=token,
                file_name=form.table.file_name,
            )
        )

    def confirm(self):
        pending = self.request.session.pop(self.session_key, None)
        if not pending or pending.get("token") != self.request.POST.get("token"):
            messages.error(
                self.request,
                gettext("Nothing to import any more: upload the file again."),
            )
            return HttpResponseRedirect(
                reverse("experimentations:company_import", args=[self.parent.pk])
            )
        rows = [
            (line, dict(zip(imports.FIELDS, values, strict=True)))
            for line, *values in pending["rows"]
        ]
        try:
            count = services.companies_import(
                experimentation=self.parent, user=self.request.user, rows=rows
            )
        except services.ImportRefused as refused:
            # Something changed since the preview (a company enrolled meanwhile): nothing done.
            return self.render_to_response(
                self.get_context_data(
                    rows=refused.rows,
                    error_count=sum(1 for row in refused.rows if not row.ok),
                    token="",
                    file_name=pending["file"],
                )
            )
        messages.success(
            self.request,
            ngettext(
                "%(count)s company imported from “%(file)s”.",
                "%(count)s companies imported from “%(file)s”.",
                count,
            )
            % {"count": count, "file": pending["file"]},
        )
        return HttpResponseRedirect(f"{self.parent.get_absolute_url()}#companies")


# Measurements of the indicators -------------------------------------------------------


class MeasurementMixin:
    model = Measurement

    def base_queryset(self):
        return Measurement.objects.select_related(
            "indicator__experimentation__agreement", "company"
        )

    def experimentation(self):
        return self.object.indicator.experimentation

    def get_success_url(self):
        return reverse("experimentations:evaluation_summary", args=[self.experimentation().pk])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["experimentation"] = self.experimentation()
        return context


class MeasurementFormMixin(MeasurementMixin):
    form_class = MeasurementForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["experimentation"] = self.experimentation()
        return kwargs


class MeasurementCreate(MeasurementFormMixin, crud.ParentMixin, crud.StaffCreateView):
    parent_model = Experimentation
    parent_kwarg = "experimentation_pk"
    parent_permission = "experimentations.add_measurement"
    success_message = _("The measurement was recorded.")

    def experimentation(self):
        return self.parent

    def get_initial(self):
        initial = super().get_initial()
        for name in ("indicator", "company"):
            if self.request.GET.get(name, "").isdigit():
                initial[name] = self.request.GET[name]
        return initial


class MeasurementUpdate(MeasurementFormMixin, crud.StaffUpdateView):
    success_message = _("The measurement was saved.")


class MeasurementDelete(MeasurementMixin, crud.StaffDeleteView):
    def get_success_url(self):
        return reverse("experimentations:evaluation_summary", args=[self.experimentation().pk])
