"""The in-app inbox: one row per person per thing they should know about."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("for"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    request = models.ForeignKey(
        "service_requests.Request",
        verbose_name=_("request"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    message = models.CharField(_("message"), max_length=300)
    # Where the notification leads when it is not about a request (a care plan, an alert, ...).
    url = models.CharField(_("link"), max_length=200, blank=True)
    # Set for notices that must reach a person once only (a daily reminder, an escalation step).
    key = models.CharField(max_length=100, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("time"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "created_at"], name="notification_inbox")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], condition=models.Q(key__isnull=False), name="notification_once"
            )
        ]

    def __str__(self):
        return self.message


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("Email")
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")


class OutboundChannel(models.Model):
    """Where a community's notices go besides the inbox: an email list, or a group robot's webhook
    (企业微信 / 钉钉 群机器人). Configured by the community's staff."""

    community = models.ForeignKey(
        "territory.TerritoryUnit",
        verbose_name=_("community"),
        on_delete=models.CASCADE,
        related_name="outbound_channels",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices)
    name = models.CharField(_("name"), max_length=50)
    # Email: addresses separated by commas. Robots: the webhook URL the group's robot settings show.
    target = models.CharField(_("address or webhook URL"), max_length=500)
    # DingTalk robots with 加签 security sign each call with this secret.
    secret = models.CharField(_("signing secret"), max_length=100, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("outbound channel")
        verbose_name_plural = _("outbound channels")
        ordering = ["community_id", "name"]

    def __str__(self):
        return self.name


class OutboundStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboundMessage(models.Model):
    """One message for one channel (an outbox row, written in the transaction of what it reports).
    `key` names the event: a channel gets each event at most once, and the deliverer claims a row
    with a conditional update before sending, so two copies of the job never send it twice."""

    channel = models.ForeignKey(
        OutboundChannel, verbose_name=_("channel"), on_delete=models.CASCADE, related_name="messages"
    )
    key = models.CharField(_("event"), max_length=100)
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("message"), max_length=2000)
    status = models.CharField(
        _("status"), max_length=16, choices=OutboundStatus.choices, default=OutboundStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["channel", "key"], name="outbound_once")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbound_due")]

    def __str__(self):
        return self.title
