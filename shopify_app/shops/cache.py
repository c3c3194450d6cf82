"""Per-worker-process caches of what nearly every request looks up: the storefront's shop by domain,
the API's keys by hash; each value trusted for a few seconds after it was read."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from shopify_app.models import Shop

# How stale a storefront's view of its shop may be: an uninstall (or a reinstall) reaches the
# storefront endpoints of every worker within this many seconds (README, "Caching").
SHOP_CACHE_SECONDS = 5.0

# Built once, at import (docs/architecture.md, "Hot-path statements"); a Core row, no Shop object.
_SHOP_BY_DOMAIN = select(Shop.id, Shop.uninstalled_at).where(Shop.domain == bindparam("domain"))

K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """Values by key, each kept ``seconds`` from when it was put, on ``clock``'s time (or the caller's)."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds, self.clock = seconds, clock
        self._entries: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()  # gthread workers share the dict

    def get(self, key: K, now: float | None = None) -> V | None:
        """The value put less than ``seconds`` ago, else None."""
        hit = self._entries.get(key)
        if hit is None or hit[0] <= (self.clock() if now is None else now):
            return None
        return hit[1]

    def put(self, key: K, value: V, now: float | None = None) -> None:
        with self._lock:
            self._entries[key] = ((self.clock() if now is None else now) + self.seconds, value)

    def forget(self, key: K) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


@dataclass(frozen=True)
class CachedShop:
    id: str
    installed: bool


class ShopsByDomain(TtlCache[str, CachedShop]):
    """Shops by domain, each read at most once per ``seconds`` in this process (a missing shop is not kept)."""

    def __init__(self, seconds: float = SHOP_CACHE_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(seconds, clock)

    def lookup(self, session: Session, domain: str) -> CachedShop | None:
        now = self.clock()
        shop = self.get(domain, now)
        if shop is not None:
            return shop
        row = session.execute(_SHOP_BY_DOMAIN, {"domain": domain}).first()
        if row is None:
            self.forget(domain)
            return None
        shop = CachedShop(id=row.id, installed=row.uninstalled_at is None)
        self.put(domain, shop, now)
        return shop
