"""Enqueuing tasks with the write that causes them. Imports no app."""

import logging

from django.db import transaction
from django_tasks.base import Task
from django_tasks_db.backend import DatabaseBackend

logger = logging.getLogger(__name__)


def enqueue_with_transaction(task: Task, *args, **kwargs) -> None:
    """Enqueue `task` as part of the current transaction: it runs only if that commits.

    The database backend (production) writes the task's row in the transaction itself, so
    the change and its task are saved together or not at all: no crash between the two can
    lose the task. A backend that runs tasks at once (PADDOCK_TASKS=immediate) runs it once
    the transaction has committed, so that it sees the committed rows; a failure there is
    logged, never raised into the request whose change is already saved.
    """
    if isinstance(task.get_backend(), DatabaseBackend):
        task.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(lambda: task.enqueue(*args, **kwargs), robust=True)
