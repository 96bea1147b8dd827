"""The back office of experimentations: partners, territories, companies, evaluation, phases."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from experimentations import services
from experimentations.models import (
    EnrolledCompany,
    Evaluation,
    Experimentation,
    ExperimentationPartner,
    Indicator,
    StageCriterion,
    StageDecision,
    Territory,
)
from partnership.core.admin import (
    HistoryAdmin,
    Inline,
    ReasonActionForm,
    StackedInline,
    lifecycle_action,
)


class ExperimentationPartnerInline(Inline):
    model = ExperimentationPartner
    autocomplete_fields = ["organisation"]
    extra = 0


class TerritoryInline(Inline):
    model = Territory
    extra = 0


class EnrolledCompanyInline(Inline):
    model = EnrolledCompany
    fields = [
        "name",
        "sector",
        "size_class",
        "region",
        "joined_phase",
        "enrolled_on",
        "left_on",
        "status",
    ]
    extra = 0


class EvaluationInline(StackedInline):
    model = Evaluation
    autocomplete_fields = ["report"]
    max_num = 1
    extra = 0


class StageCriterionInline(Inline):
    model = StageCriterion
    fields = ["gate", "position", "text"]
    extra = 0


class StageDecisionInline(Inline):
    """Decisions are taken on the staff pages (each criterion assessed): shown here, read-only."""

    model = StageDecision
    fields = ["gate", "outcome", "decided_by", "decided_at", "comment"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class IndicatorInline(Inline):
    model = Indicator
    fields = ["name", "unit", "baseline", "target", "position"]
    extra = 0


@admin.register(Experimentation)
class ExperimentationAdmin(HistoryAdmin):
    list_display = [
        "title",
        "status",
        "priority",
        "sector",
        "agreement",
        "convention",
        "starts_on",
        "ends_on",
        "partner_count",
        "company_count",
    ]
    list_select_related = ["agreement", "convention"]
    list_filter = ["status", "priority", "sector", "territories__region", "agreement"]
    search_fields = ["title", "summary", "partners__organisation__name"]
    date_hierarchy = "starts_on"
    autocomplete_fields = ["agreement", "convention"]
    readonly_fields = ["status", "stop_reason"]
    fields = [
        "title",
        "summary",
        "priority",
        "sector",
        "status",
        "stop_reason",
        "agreement",
        "convention",
        "starts_on",
        "ends_on",
    ]
    inlines = [
        ExperimentationPartnerInline,
        TerritoryInline,
        EnrolledCompanyInline,
        EvaluationInline,
        StageCriterionInline,
        IndicatorInline,
        StageDecisionInline,
    ]
    action_form = ReasonActionForm
    # Past the trial, the phases move by a stage decision, on the staff pages only.
    actions = [
        lifecycle_action(
            Experimentation,
            "start_trial",
            lambda obj, user: services.experimentation_advance(
                experimentation=obj, user=user, name="start_trial"
            ),
        ),
        lifecycle_action(
            Experimentation,
            "stop",
            lambda obj, user, reason: services.experimentation_stop(
                experimentation=obj, user=user, reason=reason
            ),
            inputs=["reason"],
        ),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                partner_count=Count("partners", distinct=True),
                company_count=Count("companies", distinct=True),
            )
        )

    @admin.display(description=_("partners"), ordering="partner_count")
    def partner_count(self, obj):
        return obj.partner_count

    @admin.display(description=_("companies"), ordering="company_count")
    def company_count(self, obj):
        return obj.company_count


@admin.register(ExperimentationPartner)
class ExperimentationPartnerAdmin(HistoryAdmin):
    list_display = ["organisation", "experimentation", "level", "is_lead"]
    list_select_related = ["organisation", "experimentation"]
    list_filter = ["level", "is_lead"]
    search_fields = ["organisation__name", "organisation__acronym", "experimentation__title"]
    autocomplete_fields = ["experimentation", "organisation"]


@admin.register(Territory)
class TerritoryAdmin(HistoryAdmin):
    list_display = ["region", "experimentation"]
    list_select_related = ["experimentation"]
    list_filter = ["region"]
    search_fields = ["experimentation__title"]
    autocomplete_fields = ["experimentation"]


@admin.register(EnrolledCompany)
class EnrolledCompanyAdmin(HistoryAdmin):
    list_display = [
        "name",
        "experimentation",
        "sector",
        "size_class",
        "region",
        "joined_phase",
        "enrolled_on",
        "left_on",
        "status",
    ]
    list_select_related = ["experimentation"]
    list_filter = ["status", "sector", "size_class", "region", "joined_phase"]
    search_fields = ["name", "experimentation__title"]
    date_hierarchy = "enrolled_on"
    autocomplete_fields = ["experimentation"]


@admin.register(Evaluation)
class EvaluationAdmin(HistoryAdmin):
    list_display = ["__str__", "experimentation", "report"]
    list_select_related = ["experimentation", "report"]
    search_fields = ["experimentation__title", "method", "criteria", "findings"]
    autocomplete_fields = ["experimentation", "report"]
