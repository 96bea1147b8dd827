import django_filters
from django.utils.translation import gettext_lazy as _

from partnership.agreements.models import Agreement
from partnership.core.filters import ALL_FEMININE, FilterSet
from partnership.directory.models import Organisation


class AgreementFilter(FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(label=_("status"), choices=Agreement.Status.choices)
    party = django_filters.ModelChoiceFilter(
        label=_("party"),
        empty_label=ALL_FEMININE,
        field_name="parties__organisation",
        queryset=Organisation.objects.all(),
        distinct=True,
    )
    o = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(
            ("reference", "reference"),
            ("title", "title"),
            ("starts_on", "starts_on"),
            ("ends_on", "ends_on"),
        ),
        field_labels={
            "reference": _("reference"),
            "title": _("title"),
            "starts_on": _("start"),
            "ends_on": _("end"),
        },
    )

    class Meta:
        model = Agreement
        fields = ["q", "status", "party"]

    def search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(reference__icontains=value) | Q(title__icontains=value))
