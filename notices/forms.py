"""Forms for a community's outbound channels. They parse; notices.services decides what is valid."""

from django import forms
from django.utils.translation import gettext_lazy as _

from notices.models import ChannelKind


class ChannelForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50, help_text=_("e.g. Staff WeCom group"))
    kind = forms.ChoiceField(label=_("Kind"), choices=ChannelKind.choices, widget=forms.RadioSelect)
    target = forms.CharField(
        label=_("Email addresses or webhook URL"),
        max_length=500,
        help_text=_(
            "Email: addresses separated by commas. Group robot: the webhook URL from the robot's settings."
        ),
    )
    secret = forms.CharField(
        label=_("DingTalk signing secret"),
        max_length=100,
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Only for a DingTalk robot with signing on; starts with SEC."),
    )
    clear_secret = forms.BooleanField(label=_("Remove the signing secret"), required=False)
    active = forms.BooleanField(label=_("Send through this channel"), required=False, initial=True)

    def __init__(self, *args, has_secret: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if has_secret:
            self.fields["secret"].help_text = _("A secret is saved. Leave blank to keep it.")
        else:
            del self.fields["clear_secret"]
