"""API keys for partner systems that file requests through Open311 GeoReport v2.

Only a keyed hash of a key is stored; the plain key is shown once, when it is issued. A short prefix is
kept so that people can tell keys apart on the keys page and revoke one by it.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from territory.models import Level, TerritoryUnit


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    name = models.CharField(_("integration"), max_length=100)
    street = models.ForeignKey(
        TerritoryUnit,
        verbose_name=_("street office"),
        on_delete=models.PROTECT,
        related_name="open311_keys",
        limit_choices_to={"level": Level.STREET},
    )
    prefix = models.CharField(_("key begins with"), max_length=8, db_index=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("issued"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
