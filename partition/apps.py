from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartitionConfig(AppConfig):
    name = "partition"
    verbose_name = _("Partition into cells, groups and areas")
