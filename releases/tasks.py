"""Thin Celery tasks: they take ids and call one domain function."""

from celery import shared_task
from django.conf import settings

from releases.media import pipeline


@shared_task(
    acks_late=True,
    autoretry_for=(pipeline.TransientError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
    soft_time_limit=settings.MEDIA_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.MEDIA_TASK_SOFT_TIME_LIMIT + 120,
)
def process_footage(footage_id: int) -> None:
    pipeline.process(footage_id)
