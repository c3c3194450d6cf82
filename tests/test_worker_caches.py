"""The per-worker TTL cache behind the storefront's shops and the API's keys: a value is trusted for its
seconds and no longer, and a forgotten one is gone at once."""

from __future__ import annotations

from shopify_app.shops.cache import TtlCache


def test_a_value_is_kept_for_its_seconds_and_no_longer() -> None:
    now = [100.0]
    cache: TtlCache[str, int] = TtlCache(5, clock=lambda: now[0])
    cache.put("a", 1)
    now[0] = 104.9
    assert cache.get("a") == 1
    now[0] = 105.0
    assert cache.get("a") is None


def test_the_caller_may_give_the_time() -> None:
    cache: TtlCache[str, int] = TtlCache(5, clock=lambda: 0.0)
    cache.put("a", 1, now=1000.0)
    assert cache.get("a", now=1004.0) == 1 and cache.get("a", now=1005.0) is None
    assert cache.get("a") == 1  # on the cache's own clock it was put in the future


def test_forget_and_clear_drop_values_at_once() -> None:
    cache: TtlCache[str, int] = TtlCache(5)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.forget("a")
    cache.forget("missing")
    assert (cache.get("a"), cache.get("b")) == (None, 2)
    cache.clear()
    assert cache.get("b") is None
