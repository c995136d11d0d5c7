"""Volunteer teams (志愿服务队): the party organisation dispatches menu orders to them (派单) and one
member claims each order. Points, duty rosters and micro-wishes come later."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from territory.models import Level, TerritoryUnit


class TeamQuerySet(models.QuerySet):
    def visible_to(self, user):
        from accounts.scope import scope_for

        scope = scope_for(user)
        if scope.everything:
            return self.all()
        # A community's teams serve every leader in it: a 组长 dispatches to them too.
        q = models.Q(members=user)
        for path in scope.staff_unit_paths + scope.leader_unit_paths:
            community_path = "/" + "/".join(path.strip("/").split("/")[:2]) + "/"
            q |= models.Q(community__path__startswith=community_path)
        return self.filter(q).distinct()


class Team(models.Model):
    community = models.ForeignKey(
        TerritoryUnit,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="teams",
        limit_choices_to={"level": Level.COMMUNITY},
    )
    name = models.CharField(_("name"), max_length=50)
    description = models.CharField(_("description"), max_length=200, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), related_name="teams", blank=True
    )
    active = models.BooleanField(_("active"), default=True)

    objects = TeamQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[members])

    class Meta:
        verbose_name = _("volunteer team")
        verbose_name_plural = _("volunteer teams")
        ordering = ["community_id", "name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="team_unique_name")]

    def __str__(self):
        return self.name
