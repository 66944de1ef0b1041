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
