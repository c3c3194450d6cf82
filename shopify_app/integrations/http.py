"""Vendor HTTP calls: a timeout on each, short in-job waits on 429/5xx, then a retry by RQ."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from typing import Any

import httpx

TIMEOUT = httpx.Timeout(10.0, connect=3.0)
ATTEMPTS = 3
# Waits longer than this are left to RQ's scheduled retries rather than holding a worker.
MAX_IN_JOB_WAIT = 5.0
_EMAIL = re.compile(r"[^\s\"'<>()\[\],;:@]+@[^\s\"'<>()\[\],;:@]+")


class DeliveryError(Exception):
    """A delivery that did not happen; ``retryable`` says whether trying again can help."""

    retryable = True


class RetryLater(DeliveryError):
    """Worth another try, later rather than by holding the worker: at ``wait`` seconds from now when
    the service (or our own limiter) said when, else at RQ's next retry interval."""

    def __init__(self, message: str, wait: float = 0.0) -> None:
        super().__init__(f"{message} (the service asked to wait {wait:.1f} s)" if wait > MAX_IN_JOB_WAIT else message)
        self.wait = wait


class Permanent(DeliveryError):
    """The vendor refused the request itself (bad key, bad payload): retrying will not help."""

    retryable = False


class AwaitingReconnect(DeliveryError):
    """The shop has no usable Admin API token (Shopify refused it) until the merchant opens the app,
    whose next load exchanges a new one: the work waits for that rather than failing."""


class Skipped(Exception):
    """Nothing to deliver to (no key, service disabled, no such subscriber): the job ends as skipped."""


def without_emails(text: str) -> str:
    """A vendor's answer as kept in errors and logs: vendors echo the address they refused, and no
    customer's email goes into a log or a stored error."""
    return _EMAIL.sub("[email]", text)


def backoff(attempt: int, base: float = 0.5) -> float:
    """Exponential backoff with full jitter, so competing workers spread out."""
    return random.uniform(0, base * 2**attempt)


def send(
    http: httpx.Client,
    method: str,
    url: str,
    *,
    throttle_wait: Callable[[httpx.Response, int], float],
    before: Callable[[], None] = lambda: None,
    **kwargs: Any,
) -> httpx.Response:
    """One vendor request, retried in the job on 429 (waiting ``throttle_wait``), 5xx and network errors."""
    last = ""
    for attempt in range(ATTEMPTS):
        before()
        try:
            response = http.request(method, url, timeout=TIMEOUT, **kwargs)
        except httpx.TransportError as error:
            last, wait = f"{method} {url}: {type(error).__name__}", backoff(attempt)
        else:
            if response.status_code < 400:
                return response
            last = f"{method} {url}: {response.status_code} {without_emails(response.text[:300])}"
            if response.status_code == 429:
                wait = throttle_wait(response, attempt)
            elif response.status_code >= 500:
                wait = backoff(attempt)
            else:
                raise Permanent(last)
        if wait > MAX_IN_JOB_WAIT or attempt == ATTEMPTS - 1:
            raise RetryLater(last, wait)
        time.sleep(wait)
    raise AssertionError("unreachable")
