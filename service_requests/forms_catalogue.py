"""Forms for the service catalogue (ServiceKind) and the response templates of a street."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from service_requests.models import ResponseTemplate, ServiceKind
from volunteers.models import Team

# A deadline longer than a year is a typing mistake, not a service standard.
MAX_HOURS = 24 * 365


def _hours_field(name: str, help_text=""):
    return forms.IntegerField(
        label=ServiceKind._meta.get_field(name).verbose_name,
        min_value=1,
        max_value=MAX_HOURS,
        help_text=help_text,
        error_messages={"min_value": _("Give at least 1 hour.")},
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class ServiceKindForm(forms.ModelForm):
    """One kind of the street's catalogue. The street is fixed by the page, never by the form."""

    response_hours = _hours_field("response_hours", _("Real hours, nights and holidays included."))
    resolution_hours = _hours_field("resolution_hours")

    class Meta:
        model = ServiceKind
        fields = [
            "name",
            "code",
            "icon",
            "description",
            "grade",
            "response_hours",
            "resolution_hours",
            "first_level",
            "report_category",
            "on_public_menu",
            "is_menu_service",
            "dispatch_team",
            "sort_order",
            "active",
        ]
        help_texts = {
            "code": _("Letters, digits, - and _; unique in the street (used by partner systems)."),
            "is_menu_service": _("Orders land with the community party organisation, which dispatches them."),
        }

    def __init__(self, *args, street, **kwargs):
        super().__init__(*args, **kwargs)
        self.street = self.instance.street = street
        # Active teams of the street's communities, and the one the kind has now even if it stopped.
        teams = Team.objects.filter(
            Q(active=True) | Q(pk=self.instance.dispatch_team_id), community__path__startswith=street.path
        ).select_related("community")
        self.fields["dispatch_team"].queryset = teams.order_by("community__path", "name")
        self.fields["dispatch_team"].label_from_instance = lambda t: f"{t.name}({t.community.name})"

    def clean_code(self):
        code = self.cleaned_data["code"]
        taken = ServiceKind.objects.filter(street=self.street, code=code).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("Another kind of this street already has this code."))
        return code

    def clean(self):
        data = super().clean()
        respond, resolve = data.get("response_hours"), data.get("resolution_hours")
        if respond and resolve and respond > resolve:
            self.add_error(
                "response_hours", _("The time to respond cannot be longer than the time to resolve.")
            )
        return data


class ResponseTemplateForm(forms.ModelForm):
    class Meta:
        model = ResponseTemplate
        fields = ["title", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, street, **kwargs):
        super().__init__(*args, **kwargs)
        self.street = self.instance.street = street

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        taken = ResponseTemplate.objects.filter(street=self.street, title=title).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("This street already has a template with this title."))
        return title
