"""Calls released at the same moment in threads: how the concurrency tests press at once."""

import threading

from django.db import connection


def run_together(calls) -> tuple[list, list[BaseException]]:
    """Run each call in its own thread, all released at the same moment.

    Returns what the calls returned and what they raised. Each thread closes its own
    database connection at the end, as a request would.
    """
    barrier = threading.Barrier(len(calls))
    results, errors = [], []
    lock = threading.Lock()

    def worker(call):
        try:
            barrier.wait(timeout=30)
            result = call()
        except BaseException as exc:  # noqa: BLE001 - every failure is counted, none lost
            with lock:
                errors.append(exc)
        else:
            with lock:
                results.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return results, errors
