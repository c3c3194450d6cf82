"""Public ids: ULID-shaped, Crockford base32, ordered by creation time."""

from __future__ import annotations

import re

import pytest

from shopify_app import ids

ID = re.compile(r"cer_[0-7][0-9a-hjkmnp-tv-z]{25}")


def decoded(public_id: str) -> int:
    value = 0
    for char in public_id.split("_", 1)[1]:
        value = value * 32 + "0123456789abcdefghjkmnpqrstvwxyz".index(char)
    return value


def test_an_id_is_the_prefix_and_26_crockford_characters() -> None:
    for _ in range(1000):
        assert ID.fullmatch(ids.new_id("cer"))


def test_an_id_carries_its_millisecond_and_80_random_bits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ids.time, "time_ns", lambda: 1_733_000_000_123_456_789)
    monkeypatch.setattr(ids.secrets, "randbits", lambda bits: (1 << bits) - 1)
    value = decoded(ids.new_id("cer"))
    assert value >> 80 == 1_733_000_000_123
    assert value & ((1 << 80) - 1) == (1 << 80) - 1


def test_ids_sort_by_creation_time(monkeypatch: pytest.MonkeyPatch) -> None:
    times = iter(range(1_700_000_000_000_000_000, 1_700_000_000_000_000_000 + 500 * 1_000_000, 1_000_000))
    monkeypatch.setattr(ids.time, "time_ns", lambda: next(times))
    made = [ids.new_id("cer") for _ in range(500)]
    assert sorted(made) == made
    assert len(set(made)) == 500
