"""Bookkeeping of the periodic job."""

from django.db import models


class DailyRun(models.Model):
    """A once-a-day rule that has run for `day` (claimed by inserting the row: two jobs, one winner)."""

    rule = models.CharField(max_length=50)
    day = models.DateField()
    ran_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "day"], name="daily_run_once")]

    def __str__(self):
        return f"{self.rule} {self.day}"
