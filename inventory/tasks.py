"""Thin Celery tasks: take ids, call a service.

All are idempotent (a sync compares and writes only differences; a report delivered
twice changes nothing the second time) and acknowledged late, so a worker that dies
mid-task leaves the message to be delivered again.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from inventory.locks import ClusterBusy

log = logging.getLogger(__name__)


def _transient() -> tuple[type[BaseException], ...]:
    from kombu.exceptions import OperationalError as KombuOperationalError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return (
        OperationalError,
        InterfaceError,
        RedisConnectionError,
        RedisTimeoutError,
        KombuOperationalError,
    )


TRANSIENT = _transient()
RETRY = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 6,
    "acks_late": True,
}


@shared_task(name="inventory.dispatch_due_syncs", acks_late=True, ignore_result=True)
def dispatch_due_syncs() -> dict:
    from inventory.services import syncs_dispatch_due

    return syncs_dispatch_due()


@shared_task(name="inventory.prune_sync_runs", acks_late=True, ignore_result=True)
def prune_sync_runs() -> int:
    """Old sync runs, and the hours of usage history past their retention."""
    from inventory.reconcile.usage import usage_samples_prune
    from inventory.services import syncruns_prune

    return syncruns_prune() + usage_samples_prune()


@shared_task(name="inventory.sync_cluster", **RETRY)
def sync_cluster(cluster_id: int, source_ids: list[int] | None = None) -> dict:
    from inventory.services import cluster_sync
    from portal.celery import release_memory

    try:
        runs = cluster_sync(cluster_id=cluster_id, source_ids=source_ids)
    except ClusterBusy:
        # The running sync reads the same sources; the next beat tick catches up.
        log.info("cluster %s is already syncing; skipped", cluster_id)
        return {"status": "busy", "runs": []}
    finally:
        # A large cluster's snapshot and rows are garbage now: hand the pages back.
        release_memory()
    return {"status": "done", "runs": [run.pk for run in runs]}


@shared_task(name="inventory.ingest_gpu_report", **RETRY)
def ingest_gpu_report(
    cluster_id: int,
    node_name: str,
    facts: list[dict] | None,
    collected_at: str | None,
    error: str = "",
    warnings: list[str] | None = None,
) -> int | None:
    from inventory.services import gpu_report_ingest

    run = gpu_report_ingest(
        cluster_id=cluster_id,
        node_name=node_name,
        facts=facts,
        collected_at=collected_at,
        error=error,
        warnings=warnings,
    )
    return run.pk if run else None


# Routed to the "gpu-agents" broadcast queue (portal/celery.py): every GPU node's agent
# worker runs it. Not acks_late: a fanout message is not redelivered anyway.
@shared_task(name="inventory.agent_collect", ignore_result=True)
def agent_collect(cluster_id: int) -> None:
    from inventory.agent import collect_and_report

    collect_and_report(cluster_id=cluster_id)


def agent_broadcast(cluster_id: int) -> None:
    """Ask every GPU agent for a report. The fanout exchange is declared with the
    message: a publisher that has not declared it would treat it as a direct exchange
    and push to one queue nobody reads, instead of publishing to the subscribed agents."""
    from portal.celery import app

    exchange = app.amqp.queues["gpu-agents"].exchange
    agent_collect.apply_async(args=[cluster_id], declare=[exchange])
