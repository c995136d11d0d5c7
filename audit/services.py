from audit.models import AccessAction, AccessLog


def access_log_record(
    *, actor, action: AccessAction, resident=None, detail: dict | None = None, request=None
):
    """Write one access-log row. Called by the services that reveal, export or import personal data."""
    ip = request.META.get("REMOTE_ADDR") if request is not None else None
    return AccessLog.objects.create(
        user=actor, action=action, resident=resident, detail=detail or {}, ip_address=ip
    )
