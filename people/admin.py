"""Admin for households and residents. Changes go through people.services (history names the actor);
the resident's ID number is shown masked only, and a new one can be typed in to replace it."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from people import identity
from people.models import PERSON_TAGS, SPECIAL_GROUPS, Household, Resident
from people.services import (
    household_cell_check,
    household_create,
    household_move,
    household_set_status,
    resident_save,
)


class HouseholdForm(forms.ModelForm):
    class Meta:
        model = Household
        fields = ["entrance", "room", "cell", "status", "latitude", "longitude", "note"]

    def clean(self):
        cleaned = super().clean()
        entrance, cell = cleaned.get("entrance"), cleaned.get("cell")
        if entrance is not None:
            household_cell_check(cell, entrance.building.estate.community)
        return cleaned


class MemberInline(admin.TabularInline):
    """Members at a glance; each is edited on its own page, where the ID number is handled safely."""

    model = Resident
    fields = ["name", "relation", "residence_status", "id_number_masked", "phone_masked"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("phone"))
    def phone_masked(self, obj):
        return obj.phone_masked


@admin.register(Household)
class HouseholdAdmin(SimpleHistoryAdmin):
    form = HouseholdForm
    list_display = ["__str__", "community", "cell", "status", "floor"]
    list_filter = ["status"]
    search_fields = ["room", "entrance__building__estate__name", "entrance__building__name"]
    autocomplete_fields = ["entrance", "cell"]
    list_select_related = ["community", "cell", "entrance__building__estate"]
    readonly_fields = ["community", "floor", "created_at", "updated_at"]
    inlines = [MemberInline]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = household_create(
                actor=request.user,
                entrance=data["entrance"],
                room=data["room"],
                cell=data["cell"],
                note=data["note"],
            )
            if data["latitude"] is not None or data["longitude"] is not None:
                created.latitude, created.longitude = data["latitude"], data["longitude"]
                created._history_user = request.user
                created.save()
            if data["status"] != created.status:
                household_set_status(actor=request.user, household=created, status=data["status"])
            obj.pk = created.pk
            return
        household = Household.objects.get(pk=obj.pk)
        household.note, household.latitude, household.longitude = (
            data["note"],
            data["latitude"],
            data["longitude"],
        )
        household_move(
            actor=request.user,
            household=household,
            entrance=data["entrance"],
            room=data["room"],
            cell=data["cell"],
        )
        if data["status"] != household.status:
            household_set_status(actor=request.user, household=household, status=data["status"])


class ResidentForm(forms.ModelForm):
    new_id_number = forms.CharField(
        label=_("new ID number"),
        required=False,
        help_text=_("Leave empty to keep the stored ID number."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    class Meta:
        model = Resident
        # Never id_number_ciphertext or id_number_digest: the number comes in as new_id_number.
        fields = [
            "household",
            "name",
            "relation",
            "residence_status",
            "gender",
            "birth_date",
            "phone",
            "emergency_contact_name",
            "emergency_contact_phone",
            "note",
            *(name for name, _label in PERSON_TAGS + SPECIAL_GROUPS),
        ]

    def clean_new_id_number(self):
        raw = self.cleaned_data["new_id_number"]
        if not raw.strip():
            return ""
        try:
            facts = identity.id_number_parse(raw)
        except identity.InvalidIdentity as error:
            raise ValidationError(str(error)) from error
        clash = Resident.objects.filter(id_number_digest=identity.id_number_digest(facts.number))
        if clash.exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("Another resident already has this ID number."))
        return facts.number

    def _clean_phone(self, name):
        value = self.cleaned_data[name]
        if not value:
            return value
        try:
            return identity.phone_validate(value)
        except identity.InvalidIdentity as error:
            raise ValidationError(str(error)) from error

    def clean_phone(self):
        return self._clean_phone("phone")

    def clean_emergency_contact_phone(self):
        return self._clean_phone("emergency_contact_phone")


@admin.register(Resident)
class ResidentAdmin(SimpleHistoryAdmin):
    form = ResidentForm
    list_display = [
        "name",
        "gender",
        "household",
        "relation",
        "residence_status",
        "id_number_masked",
        "phone_masked",
    ]
    list_filter = ["residence_status", "gender", *(name for name, _label in PERSON_TAGS + SPECIAL_GROUPS)]
    search_fields = ["name", "name_initials", "name_pinyin", "phone"]
    autocomplete_fields = ["household"]
    list_select_related = ["household__entrance__building__estate"]
    readonly_fields = ["id_number_masked", "name_pinyin", "name_initials", "created_at", "updated_at"]
    fieldsets = [
        (
            None,
            {"fields": ["household", "name", "name_pinyin", "name_initials", "relation", "residence_status"]},
        ),
        (_("Identity"), {"fields": ["id_number_masked", "new_id_number", "gender", "birth_date"]}),
        (_("Contact"), {"fields": ["phone", "emergency_contact_name", "emergency_contact_phone"]}),
        (_("Tags"), {"fields": [name for name, _label in PERSON_TAGS]}),
        (_("Special groups"), {"fields": [name for name, _label in SPECIAL_GROUPS]}),
        (None, {"fields": ["note", "created_at", "updated_at"]}),
    ]

    @admin.display(description=_("phone"))
    def phone_masked(self, obj):
        return obj.phone_masked

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def get_search_results(self, request, queryset, search_term):
        """A full ID number is found through its keyed digest (the number itself is not stored)."""
        number = identity.normalise(search_term)
        if len(number) == 18:
            try:
                facts = identity.id_number_parse(number)
            except identity.InvalidIdentity:
                pass
            else:
                return queryset.filter(id_number_digest=identity.id_number_digest(facts.number)), False
        return super().get_search_results(request, queryset, search_term)

    def save_model(self, request, obj, form, change):
        new_number = form.cleaned_data.get("new_id_number") or None
        resident_save(actor=request.user, resident=obj, id_number=new_number)
