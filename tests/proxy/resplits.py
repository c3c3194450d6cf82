"""Every other query that carries a signed app-proxy query's signature: its re-splits."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator

from shopify_app.shopify.app_proxy import SIGNATURE, signature_message

Pairs = list[tuple[str, str]]


def re_splits(signed: Pairs, *, plain: bool = False) -> Iterator[Pairs]:
    """Each query whose signed message is ``signed``'s, so Shopify's signature fits it too.

    The message is cut into pieces anywhere (so boundaries between names and values move, and
    pairs merge and split), each piece split at any of its '=' (names holding '=') and a value's
    commas optionally sent as repeats of its name; the original is among them. ``plain`` keeps
    only those whose names and values hold no '=' and whose values hold no ',': far fewer, and
    the only ones that pass the verifier's first check."""
    signature = [(key, value) for key, value in signed if key == SIGNATURE]
    for pieces in _sorted_cuts(signature_message(signed), 0, "", plain):
        for readings in itertools.product(*(_readings(piece, plain) for piece in pieces)):
            # Two pieces with one name would be signed joined by a comma: another message.
            if len({reading[0][0] for reading in readings}) == len(readings):
                yield [pair for reading in readings for pair in reading] + signature


def _sorted_cuts(message: str, start: int, previous: str, plain: bool) -> Iterator[list[str]]:
    # Shopify sorts the pairs, so the pieces of a same-message query are in increasing order.
    if start == len(message):
        yield []
        return
    first_equals = message.find("=", start)
    if first_equals < 0:
        return
    second_equals = message.find("=", first_equals + 1)
    last_end = second_equals if plain and second_equals >= 0 else len(message)
    for end in range(first_equals + 1, last_end + 1):
        piece = message[start:end]
        if piece > previous:
            for rest in _sorted_cuts(message, end, piece, plain):
                yield [piece, *rest]


@functools.lru_cache(maxsize=1 << 16)
def _readings(piece: str, plain: bool) -> tuple[Pairs, ...]:
    """The piece as one parameter, split at each of its '='; a value with commas also as repeats."""
    readings = []
    for at in (i for i, character in enumerate(piece) if character == "="):
        key, value = piece[:at], piece[at + 1:]
        if plain and ("=" in value or "," in value):
            continue
        readings.append([(key, value)])
        if "," in value:
            readings.append([(key, part) for part in value.split(",")])
    return tuple(readings)
