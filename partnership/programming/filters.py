import django_filters
from django.utils.translation import gettext_lazy as _

from partnership.core.filters import FilterSet
from partnership.directory.models import Sector, Theme
from partnership.programming.models import PlannedProject


class PlannedProjectFilter(FilterSet):
    theme = django_filters.ModelChoiceFilter(label=_("theme"), queryset=Theme.objects.all())
    sector = django_filters.ChoiceFilter(label=_("sector"), choices=Sector.choices)
    kind = django_filters.ChoiceFilter(label=_("kind"), choices=PlannedProject.Kind.choices)
    certainty = django_filters.ChoiceFilter(
        label=_("certainty"), choices=PlannedProject.Certainty.choices
    )

    class Meta:
        model = PlannedProject
        fields = ["theme", "sector", "kind", "certainty"]

    def __init__(self, *args, themes=None, **kwargs):
        super().__init__(*args, **kwargs)
        if themes is not None:
            self.filters["theme"].queryset = themes

    def chosen(self) -> tuple:
        """The filters that apply, as plain values. A value the form refuses (a theme of
        another programming, a made-up sector) filters nothing: it is not among them."""
        if not self.is_bound:
            return ()
        self.form.is_valid()
        return tuple(
            (name, getattr(value, "pk", value))
            for name, value in sorted(self.form.cleaned_data.items())
            if value not in (None, "")
        )
