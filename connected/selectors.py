"""Reads of the connected app: the administrators' page and the dossier page's notice log."""
from __future__ import annotations

from django.db.models import Count, Q

from connected.models import Delivery, Notice, Subscription


def subscriptions_overview():
    """Active subscriptions with their pending / failed / delivered counts."""
    D = Delivery.State
    return (
        Subscription.objects.filter(ended_at__isnull=True)
        .annotate(
            n_pending=Count("deliveries", filter=Q(deliveries__state=D.PENDING)),
            n_failed=Count("deliveries", filter=Q(deliveries__state=D.FAILED)),
            n_delivered=Count("deliveries", filter=Q(deliveries__state=D.DELIVERED)),
        )
        .order_by("id")
    )


def deliveries_failed(limit: int = 200):
    return (
        Delivery.objects.filter(state=Delivery.State.FAILED, subscription__ended_at__isnull=True)
        .select_related("subscription").order_by("-created_at", "-id")[:limit]
    )


def notices_of_dossier(dossier_id: int) -> list[Notice]:
    return list(Notice.objects.filter(dossier_id=dossier_id).order_by("created_at", "id"))


def notices_failed(limit: int = 100):
    return Notice.objects.filter(state=Notice.State.FAILED).order_by("-created_at", "-id")[:limit]
