import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from experimentations.models import (
    EnrolledCompany,
    Experimentation,
    Priority,
    Sector,
    Territory,
)
from partnership.agreements.models import Agreement
from partnership.core.filters import ALL_FEMININE, FilterSet
from partnership.directory.models import Organisation
from partnership.directory.regions import Region


def _partner_organisations(request):
    return Organisation.objects.filter(experimentation_partnerships__isnull=False).distinct()


def _agreements(request):
    # Only the agreements the person sees: their titles are not public.
    if request is None:
        return Agreement.objects.none()
    return Agreement.objects.all().visible_to(request.user).order_by("reference")


class ExperimentationFilter(FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    priority = django_filters.ChoiceFilter(
        label=_("priority"), empty_label=ALL_FEMININE, choices=Priority.choices
    )
    sector = django_filters.ChoiceFilter(label=_("sector"), choices=Sector.choices)
    phase = django_filters.ChoiceFilter(
        label=_("phase"),
        empty_label=ALL_FEMININE,
        field_name="status",
        choices=Experimentation.Phase.choices,
    )
    partner = django_filters.ModelChoiceFilter(
        label=_("partner"),
        field_name="partners__organisation",
        queryset=_partner_organisations,
        distinct=True,
    )
    # A territory of the experimentation, or the region of one of its companies (the map).
    region = django_filters.ChoiceFilter(
        label=_("region"), empty_label=ALL_FEMININE, choices=Region.choices, method="in_region"
    )
    agreement = django_filters.ModelChoiceFilter(
        label=_("framework agreement"), queryset=_agreements
    )
    o = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(("title", "title"), ("starts_on", "starts_on"), ("phase_rank", "phase")),
        field_labels={"title": _("title"), "starts_on": _("start"), "phase_rank": _("phase")},
    )

    class Meta:
        model = Experimentation
        fields = ["q", "priority", "sector", "phase", "partner", "region", "agreement"]

    def in_region(self, queryset, name, value):
        return queryset.filter(
            Exists(Territory.objects.filter(experimentation=OuterRef("pk"), region=value))
            | Exists(EnrolledCompany.objects.filter(experimentation=OuterRef("pk"), region=value))
        )

    def search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(summary__icontains=value))
