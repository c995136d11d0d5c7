"""Forms for the staff pages that edit households and residents.

Forms parse and check what can be checked on the input alone (shape of an ID number or phone, a cell
in the same community as the address); the services in people/services.py decide and may still refuse,
and the views map those refusals back onto the field they concern.
"""

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from people import identity
from people.models import (
    PERSON_TAGS,
    SPECIAL_GROUPS,
    Gender,
    Household,
    HouseholdStatus,
    Relation,
    ResidenceStatus,
)
from territory.models import Entrance, Level, TerritoryUnit


def _entrance_choices(entrances) -> list:
    """Entrances grouped by estate (<optgroup>), labelled building + entrance, for a select on a phone."""
    groups: dict[str, list] = {}
    entrances = list(entrances)
    communities = {e.building.estate.community_id for e in entrances}
    for entrance in entrances:
        estate = entrance.building.estate
        group = f"{estate.community.name} · {estate.name}" if len(communities) > 1 else estate.name
        label = " ".join(p for p in (entrance.building.name, entrance.name) if p)
        groups.setdefault(group, []).append((entrance.pk, label))
    return [("", "---------")] + list(groups.items())


def _cell_choices(cells, unit_names: dict[int, str]) -> list:
    """Cells grouped by community, each labelled area / group / cell."""
    groups: dict[str, list] = {}
    for cell in cells:
        ids = cell.ancestor_ids  # street, community, area, group, cell
        community = unit_names.get(ids[1], "") if len(ids) > 1 else ""
        label = (
            " / ".join(unit_names.get(i, "?") for i in ids[2:-1]) + f" / {cell.name}"
            if len(ids) > 2
            else cell.name
        )
        groups.setdefault(community, []).append((cell.pk, label))
    return [("", _("(not in a cell yet)"))] + list(groups.items())


class HouseholdForm(forms.Form):
    """Where a household lives: entrance and room, its neighbour cell, and a note."""

    entrance = forms.ModelChoiceField(label=_("Building and entrance"), queryset=Entrance.objects.none())
    room = forms.CharField(label=_("Room"), max_length=20, help_text=_("e.g. 1203 (floor 12, room 03)"))
    cell = forms.ModelChoiceField(
        label=_("Neighbour cell"), queryset=TerritoryUnit.objects.none(), required=False
    )
    note = forms.CharField(
        label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, community_ids, visible_units, household: Household | None = None, **kwargs):
        """`community_ids`: the communities the user manages; `visible_units`: TerritoryUnit.objects.visible_to(user)."""
        super().__init__(*args, **kwargs)
        self.household = household
        entrances = Entrance.objects.filter(building__estate__community_id__in=community_ids)
        self.fields["entrance"].queryset = entrances.select_related("building__estate__community")
        self.fields["entrance"].choices = _entrance_choices(
            entrances.select_related("building__estate__community").order_by(
                "building__estate__community__path", "building__estate__name", "building__name", "name"
            )
        )

        units = list(
            visible_units.filter(level__in=[Level.COMMUNITY, Level.AREA, Level.GROUP, Level.CELL]).only(
                "id", "name", "path", "level"
            )
        )
        names = {u.pk: u.name for u in units}
        managed = set(community_ids)
        cells = [u for u in units if u.level == Level.CELL and u.community_id_from_path() in managed]
        within = Q(pk__in=[])
        for community in (u for u in units if u.pk in managed and u.level == Level.COMMUNITY):
            within |= Q(path__startswith=community.path)
        self.fields["cell"].queryset = visible_units.filter(within, level=Level.CELL)
        self.fields["cell"].choices = _cell_choices(cells, names)
        if household is not None and household.is_registered_only:
            self.fields["cell"].help_text = _(
                "A household registered but not living here stays outside cells."
            )

    def clean_room(self):
        room = " ".join(self.cleaned_data["room"].split())
        if not room:
            raise forms.ValidationError(_("Please enter the room."))
        return room

    def clean(self):
        data = super().clean()
        entrance, cell = data.get("entrance"), data.get("cell")
        if entrance is not None and cell is not None:
            community = entrance.building.estate.community
            if not cell.path.startswith(community.path):
                self.add_error("cell", _("The neighbour cell must belong to the household's community."))
        if cell is not None and self.household is not None and self.household.is_registered_only:
            self.add_error("cell", _("A household registered but not living here cannot join a cell."))
        return data


class HouseholdStatusForm(forms.Form):
    status = forms.ChoiceField(choices=HouseholdStatus.choices)


class ResidentForm(forms.Form):
    """A resident's record. The ID number is never shown back: blank keeps the stored one."""

    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=50)
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("18 characters. Gender and date of birth are read from it."),
    )
    clear_id_number = forms.BooleanField(label=_("Clear the ID number"), required=False)
    gender = forms.ChoiceField(
        label=_("Gender"), choices=[("", "---------")] + Gender.choices, required=False
    )
    birth_date = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    phone = forms.CharField(
        label=_("Phone"), max_length=30, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    relation = forms.ChoiceField(label=_("Relation to head of household"), choices=Relation.choices)
    residence_status = forms.ChoiceField(
        label=_("Residence status"), choices=ResidenceStatus.choices, initial=ResidenceStatus.RESIDENT
    )
    tags = forms.MultipleChoiceField(
        label=_("Tags"), choices=PERSON_TAGS, required=False, widget=forms.CheckboxSelectMultiple
    )
    special_groups = forms.MultipleChoiceField(
        label=_("Special groups"), choices=SPECIAL_GROUPS, required=False, widget=forms.CheckboxSelectMultiple
    )
    clear_phone = forms.BooleanField(label=_("Remove the phone number"), required=False)
    emergency_contact_name = forms.CharField(label=_("Emergency contact"), max_length=50, required=False)
    emergency_contact_phone = forms.CharField(
        label=_("Emergency contact phone"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    clear_emergency_contact_phone = forms.BooleanField(
        label=_("Remove the emergency contact's phone"), required=False
    )
    note = forms.CharField(
        label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    died_on = forms.DateField(
        label=_("Date of death"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Only when the person has died: their care plan ends; the records stay."),
    )

    # Phones, like the ID number, are never put back into the page: opening the edit form would
    # otherwise show every number in full without a logged reveal. Blank keeps the stored one.
    PHONE_FIELDS = ["phone", "emergency_contact_phone"]
    PLAIN_FIELDS = ["name", "relation", "residence_status", "emergency_contact_name", "note", "died_on"]

    def __init__(self, *args, resident=None, **kwargs):
        """`resident`: the record being edited (saved), or None when adding one."""
        self.resident = resident if resident is not None and resident.pk else None
        if self.resident is not None and "initial" not in kwargs:
            r = self.resident
            kwargs["initial"] = {
                **{name: getattr(r, name) for name in self.PLAIN_FIELDS},
                "gender": r.gender,
                "birth_date": r.birth_date,
                "tags": [name for name, _label in PERSON_TAGS if getattr(r, name)],
                "special_groups": [name for name, _label in SPECIAL_GROUPS if getattr(r, name)],
            }
        super().__init__(*args, **kwargs)
        self.id_facts = None
        if self.resident is not None and self.resident.id_number_masked:
            self.fields["id_number"].help_text = _(
                "Stored: %(masked)s. Leave blank to keep it; a new number replaces it."
            ) % {"masked": self.resident.id_number_masked}
        else:
            del self.fields["clear_id_number"]
        for name in self.PHONE_FIELDS:
            stored = getattr(self.resident, name, "") if self.resident is not None else ""
            if stored:
                self.fields[name].help_text = _("Stored: %(masked)s. Leave blank to keep it.") % {
                    "masked": identity.phone_mask(stored)
                }
            else:
                del self.fields[f"clear_{name}"]

    @property
    def has_stored_id(self) -> bool:
        return self.resident is not None and bool(self.resident.id_number_masked)

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Please enter the name."))
        return name

    def clean_id_number(self):
        raw = self.cleaned_data["id_number"]
        if not raw.strip():
            return ""
        try:
            self.id_facts = identity.id_number_parse(raw)
        except identity.InvalidIdentity as exc:
            raise forms.ValidationError(str(exc)) from exc
        return self.id_facts.number

    def clean_phone(self):
        return identity.phone_form_clean(self.cleaned_data["phone"])

    def clean_emergency_contact_phone(self):
        return identity.phone_form_clean(self.cleaned_data["emergency_contact_phone"])

    def clean_died_on(self):
        died_on = self.cleaned_data["died_on"]
        if died_on and died_on > timezone.localdate():
            raise forms.ValidationError(_("The date of death cannot be in the future."))
        return died_on

    def clean(self):
        data = super().clean()
        clearing = data.get("clear_id_number", False)
        if clearing and data.get("id_number"):
            self.add_error("clear_id_number", _("Either enter a new ID number or clear it, not both."))
            return data
        gender, birth = data.get("gender"), data.get("birth_date")
        # What the ID number says, when one is given now or kept from before.
        if self.id_facts is not None:
            id_gender, id_birth = self.id_facts.gender, self.id_facts.birth_date
        elif self.has_stored_id and not clearing and "id_number" in data:
            id_gender, id_birth = self.resident.gender, self.resident.birth_date
        else:
            id_gender = id_birth = None
        if id_gender is not None:
            # Left blank, gender and date of birth are read off the ID number.
            data["gender"] = gender or id_gender
            data["birth_date"] = birth or id_birth
            if gender and gender != id_gender:
                self.add_error(
                    "gender",
                    _("The ID number says %(gender)s; correct the gender or the ID number.")
                    % {"gender": Gender(id_gender).label},
                )
            if birth and id_birth and birth != id_birth:
                self.add_error(
                    "birth_date",
                    _("The ID number says born on %(date)s; correct the date or the ID number.")
                    % {"date": id_birth.isoformat()},
                )
        elif not gender and "gender" in data and "id_number" in data:
            self.add_error("gender", _("Choose the gender, or enter the ID number to read it from."))
        return data

    def id_number_for_service(self) -> str | None:
        """The `id_number` argument of people.services.resident_save: None keeps, '' clears, a value replaces."""
        if self.cleaned_data.get("clear_id_number"):
            return ""
        return self.cleaned_data["id_number"] or None

    def apply_to(self, resident):
        """Copy the cleaned values onto `resident` (unsaved); the service validates and saves."""
        data = self.cleaned_data
        for name in self.PLAIN_FIELDS + ["birth_date"]:
            setattr(resident, name, data[name])
        for name in self.PHONE_FIELDS:
            if data[name] or data.get(f"clear_{name}") or self.resident is None:
                setattr(resident, name, data[name])
        if data["gender"]:
            resident.gender = data["gender"]
        for name, _label in PERSON_TAGS:
            setattr(resident, name, name in data["tags"])
        for name, _label in SPECIAL_GROUPS:
            setattr(resident, name, name in data["special_groups"])
        return resident
