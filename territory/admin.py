"""Admin for the governance tree and the physical addresses; non-superusers see only their scope."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from accounts.scope import scope_for
from territory.models import CHILD_LEVEL, Building, Entrance, Estate, Level, TerritoryUnit
from territory.services import unit_create


class TerritoryUnitForm(forms.ModelForm):
    class Meta:
        model = TerritoryUnit
        fields = ["level", "name", "parent", "sort_order"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            return cleaned
        parent, level = cleaned.get("parent"), cleaned.get("level")
        # The same rule unit_create enforces, said on the form instead of as an error page.
        if parent is None and level and level != Level.STREET:
            raise forms.ValidationError(_("Only a street office stands at the top of the tree."))
        if parent is not None and level and CHILD_LEVEL.get(parent.level) != level:
            raise forms.ValidationError(_("This kind of unit cannot stand under that one."))
        return cleaned


@admin.register(TerritoryUnit)
class TerritoryUnitAdmin(SimpleHistoryAdmin):
    form = TerritoryUnitForm
    list_display = ["name", "level", "parent", "path"]
    list_filter = ["level"]
    search_fields = ["name"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]
    readonly_fields = ["path", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        # Moving a unit would need its whole subtree's paths rewritten: not an admin edit.
        return [*self.readonly_fields, "level", "parent"] if obj else self.readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def save_model(self, request, obj, form, change):
        if change:
            obj._history_user = request.user
            obj.save()
            return
        unit = unit_create(parent=obj.parent, level=obj.level, name=obj.name, sort_order=obj.sort_order)
        obj.pk, obj.path, obj.name = unit.pk, unit.path, unit.name


class _EstateScopedAdmin(SimpleHistoryAdmin):
    """Estates, buildings and entrances of the communities the user sees (accounts.scope.estates_q)."""

    estate_prefix = ""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        scope = scope_for(request.user)
        if scope.everything:
            return queryset
        return queryset.filter(scope.estates_q(prefix=self.estate_prefix)).distinct()


@admin.register(Estate)
class EstateAdmin(_EstateScopedAdmin):
    list_display = ["name", "community", "kind", "address"]
    list_filter = ["kind"]
    search_fields = ["name", "address"]
    autocomplete_fields = ["community"]
    list_select_related = ["community"]


@admin.register(Building)
class BuildingAdmin(_EstateScopedAdmin):
    estate_prefix = "estate__"
    list_display = ["name", "estate"]
    search_fields = ["name", "estate__name"]
    autocomplete_fields = ["estate"]
    list_select_related = ["estate"]


@admin.register(Entrance)
class EntranceAdmin(_EstateScopedAdmin):
    estate_prefix = "building__estate__"
    list_display = ["__str__", "building"]
    search_fields = ["name", "building__name", "building__estate__name"]
    autocomplete_fields = ["building"]
    list_select_related = ["building__estate"]
