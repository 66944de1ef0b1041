"""Two transactions at the same moment, for tests of what may happen once."""

from __future__ import annotations

import threading
import time


def two_at_once(factory, first_request, second_request=None):
    """Each request is a function of a session; the second reads before the first commits."""
    second_request = second_request or first_request
    first, second = factory(), factory()
    results = {"first": first_request(first)}  # done, not yet committed

    def in_thread():
        results["second"] = second_request(second)
        second.commit()

    thread = threading.Thread(target=in_thread)
    thread.start()
    time.sleep(0.3)  # the second request now waits for the first one's lock
    first.commit()
    thread.join(10)
    first.close()
    second.close()
    return results["first"], results["second"]


def all_at_once(requests, *, timeout: float = 60.0) -> list:
    """Each request (a function of nothing) in its own thread, all let go at the same moment;
    their results in the order given. For bursts: fifty requests in flight together."""
    barrier = threading.Barrier(len(requests))
    results: list = [None] * len(requests)

    def run(index, request):
        barrier.wait(timeout=timeout)
        try:
            results[index] = request()
        except BaseException as error:  # noqa: BLE001 - handed to the test, which fails on it
            results[index] = error

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    failed = [result for result in results if isinstance(result, BaseException)]
    if failed:
        raise failed[0]
    return results
