"""Per-worker-process caches of what nearly every request looks up: a shop's id and install state by domain."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from shopify_app.models import Shop

# How stale a storefront's view of its shop may be: an uninstall (or a reinstall) reaches the
# storefront endpoints of every worker within this many seconds (README, "Caching").
SHOP_CACHE_SECONDS = 5.0

# Built once, at import (docs/architecture.md, "Hot-path statements"); a Core row, no Shop object.
_SHOP_BY_DOMAIN = select(Shop.id, Shop.uninstalled_at).where(Shop.domain == bindparam("domain"))


@dataclass(frozen=True)
class CachedShop:
    id: str
    installed: bool


class ShopsByDomain:
    """Shops by domain, each read at most once per ``seconds`` in this process (a missing shop is not kept)."""

    def __init__(self, seconds: float = SHOP_CACHE_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds, self.clock = seconds, clock
        self._entries: dict[str, tuple[float, CachedShop]] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, domain: str) -> CachedShop | None:
        now = self.clock()
        hit = self._entries.get(domain)
        if hit is not None and hit[0] > now:
            return hit[1]
        row = session.execute(_SHOP_BY_DOMAIN, {"domain": domain}).first()
        with self._lock:  # gthread workers share the dict; at most one entry per installed shop
            if row is None:
                self._entries.pop(domain, None)
                return None
            shop = CachedShop(id=row.id, installed=row.uninstalled_at is None)
            self._entries[domain] = (now + self.seconds, shop)
        return shop

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
