import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from conventions.models import Convention
from partnership.agreements.models import Agreement
from partnership.core.filters import ALL_FEMININE, FilterSet
from partnership.directory.models import Organisation, Theme


def visible_agreements(request):
    """Only the agreements the person sees are offered (and accepted) as a filter."""
    if request is None:
        return Agreement.objects.none()
    return Agreement.objects.all().visible_to(request.user)


class ConventionFilter(FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    agreement = django_filters.ModelChoiceFilter(
        label=_("framework agreement"), queryset=visible_agreements
    )
    theme = django_filters.ModelChoiceFilter(label=_("theme"), queryset=Theme.objects.all())
    status = django_filters.ChoiceFilter(label=_("status"), choices=Convention.Status.choices)
    party = django_filters.ModelChoiceFilter(
        label=_("party"),
        empty_label=ALL_FEMININE,
        field_name="parties__organisation",
        queryset=Organisation.objects.all(),
        distinct=True,
    )
    o = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(("annex_number", "annex_number"), ("title", "title"), ("ends_on", "ends_on")),
        field_labels={
            "annex_number": _("annex number"),
            "title": _("title"),
            "ends_on": _("end"),
        },
    )

    class Meta:
        model = Convention
        fields = ["q", "agreement", "theme", "status", "party"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(title__icontains=value)
            | Q(purpose__icontains=value)
            | Q(agreement__reference__icontains=value)
        )
