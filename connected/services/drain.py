"""``manage.py outbox_relay`` (monitoring's ``DRAIN_HOOKS``): send every due webhook and notice
once, in this process, without a worker."""
from connected.services.notices import notices_send
from connected.services.webhooks import webhooks_drain


def connected_drain() -> str:
    w = webhooks_drain()
    n = notices_send()
    return (f"Webhook: đã gửi {w['delivered']}, chờ thử lại {w['retry']}, không thành công {w['failed']}. "
            f"Thông báo công dân: đã gửi {n['sent']}, chờ thử lại {n['retry']}, không thành công {n['failed']}.")
