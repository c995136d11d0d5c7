"""The roster upload form: a file and the community it goes into."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.scope import scope_for
from people.roster import RosterFileError, roster_read
from territory.models import TerritoryUnit


def communities_managed_by(user):
    """The communities whose registry `user` may change (through the viewer-scoped queryset)."""
    scope = scope_for(user)
    communities = TerritoryUnit.objects.visible_to(user).communities()
    if not scope.everything:
        communities = communities.filter(pk__in=scope.staff_community_ids)
    return communities.order_by("path")


class RosterUploadForm(forms.Form):
    community = forms.ModelChoiceField(
        label=gettext_lazy("Community"), queryset=TerritoryUnit.objects.none(), empty_label=None
    )
    file = forms.FileField(
        label=gettext_lazy("Roster file"),
        help_text=gettext_lazy(
            "An Excel workbook (.xlsx) or a CSV file with the column names in the first row."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,text/csv"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities_managed_by(user)
        self.content = b""

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.LINLI_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise ValidationError(
                _("The file is larger than %(limit)s MB; split it into smaller files.")
                % {"limit": limit // (1024 * 1024)}
            )
        content = upload.read(limit + 1)
        try:
            # Read now so a file that is no roster is refused here, with the form, not on the next page.
            roster_read(content)
        except RosterFileError as exc:
            raise ValidationError(str(exc)) from exc
        self.content = content
        return upload
