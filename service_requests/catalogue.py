"""The default service catalogue a street starts with; staff edit it afterwards."""

from service_requests.models import Grade, ReportCategory, ServiceKind
from territory.models import Level

# code, name, grade, hours to respond, hours to resolve, first level, report category, menu service, icon
DEFAULT_KINDS = [
    ("repair", "房屋报修", Grade.NORMAL, 24, 72, Level.CELL, ReportCategory.PROBLEM, False, "🔧"),
    ("dispute", "邻里纠纷", Grade.PRIORITY, 12, 72, Level.CELL, ReportCategory.DISPUTE, False, "🤝"),
    ("hazard", "安全隐患", Grade.URGENT, 2, 24, Level.CELL, ReportCategory.HAZARD, False, "⚠️"),
    (
        "hardship",
        "困难帮扶(低保、大病救助)",
        Grade.URGENT,
        2,
        24,
        Level.CELL,
        ReportCategory.PROBLEM,
        False,
        "❤️",
    ),
    ("sanitation", "环境卫生与绿化", Grade.NORMAL, 24, 120, Level.CELL, ReportCategory.PROBLEM, False, "🌳"),
    (
        "appliance",
        "家电维修",
        Grade.NORMAL,
        24,
        72,
        Level.COMMUNITY,
        ReportCategory.MICRO_SERVICE,
        True,
        "📺",
    ),
    (
        "certificate",
        "证明开具",
        Grade.NORMAL,
        24,
        48,
        Level.COMMUNITY,
        ReportCategory.MICRO_SERVICE,
        False,
        "📄",
    ),
    (
        "micro",
        "微服务(代买代办、陪诊)",
        Grade.NORMAL,
        24,
        72,
        Level.COMMUNITY,
        ReportCategory.MICRO_SERVICE,
        True,
        "🛒",
    ),
    ("other", "其他", Grade.NORMAL, 24, 72, Level.CELL, ReportCategory.PROBLEM, False, "💬"),
]


def service_catalogue_install(street) -> list[ServiceKind]:
    """Create the default kinds a street does not have yet (by code); existing ones are left as edited."""
    have = set(ServiceKind.objects.filter(street=street).values_list("code", flat=True))
    kinds = [
        ServiceKind(
            street=street,
            code=code,
            name=name,
            grade=grade,
            response_hours=respond,
            resolution_hours=resolve,
            first_level=level,
            report_category=category,
            is_menu_service=menu,
            icon=icon,
            sort_order=index,
        )
        for index, (code, name, grade, respond, resolve, level, category, menu, icon) in enumerate(
            DEFAULT_KINDS
        )
        if code not in have
    ]
    return ServiceKind.objects.bulk_create(kinds)
