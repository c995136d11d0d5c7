"""Who saw or moved personal data: every reveal of an ID number or phone, every export and import.
(Changes to records themselves are kept by django-simple-history on each model.)"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AccessAction(models.TextChoices):
    REVEAL_ID_NUMBER = "reveal_id_number", _("Revealed an ID number")
    REVEAL_PHONE = "reveal_phone", _("Revealed a phone number")
    REVEAL_EMERGENCY_PHONE = "reveal_emergency_phone", _("Revealed an emergency contact's phone")
    EXPORT = "export", _("Exported residents")
    IMPORT = "import", _("Imported a roster")


class AccessLog(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="access_logs"
    )
    action = models.CharField(_("action"), max_length=32, choices=AccessAction.choices)
    resident = models.ForeignKey(
        "people.Resident",
        verbose_name=_("resident"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="access_logs",
    )
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["resident", "created_at"], name="accesslog_resident")]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.user} {self.get_action_display()}"
