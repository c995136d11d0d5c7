"""Background tasks of notices, on the Tasks API (django-tasks; settings.TASKS picks the backend).

Tasks only call services, and services enqueue them in transaction.on_commit (reporter_sms_enqueue,
outbound_queue): a step that rolls back enqueues nothing. Arguments are plain JSON values, as every
backend stores them (the database row, the Redis job).
"""

from django_tasks import task

from notices import services


@task()
def reporter_sms(phone: str, message: str) -> None:
    """Text a reporter (notices.services.reporter_sms_send)."""
    services.reporter_sms_send(phone=phone, message=message)


@task()
def outbound_deliver_community(community_id: int) -> int:
    """Deliver a community's due outbound messages now, through the same claim as the periodic job (which
    stays the safety net for retries), so no message is sent twice. Returns how many went out."""
    return services.outbound_deliver(community_id=community_id)
