"""App-proxy signatures: Shopify's published vectors, tampering, staleness, rotation, re-splits."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from shopify_app.shopify.app_proxy import (
    SHOPIFY_PARAMETERS,
    SIGNATURE,
    InvalidProxySignature,
    ProxyRequest,
    sign,
    signature_message,
    verify_proxy_request,
)
from tests.proxy.resplits import Pairs, re_splits

# Shopify's documented example (secret "hush"), with repeated "extra" values joined by a comma.
VECTOR_SECRET = "hush"
VECTOR_TIMESTAMP = 1317327555
VECTOR_PREFIX = "/apps/awesome_reviews"
VECTOR_PARAMS = [
    ("extra", "1"), ("extra", "2"), ("shop", "shop-name.myshopify.com"), ("logged_in_customer_id", "1"),
    ("path_prefix", VECTOR_PREFIX), ("timestamp", str(VECTOR_TIMESTAMP)),
    ("signature", "4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb"),
]
ANONYMOUS_SIGNATURE = "e072b6d7e6622d85912a5214b860d3100dc1e73d9bc29f43796ac8c9ff8093cb"


def signed(params: Pairs, secret: str = VECTOR_SECRET) -> Pairs:
    unsigned = [(k, v) for k, v in params if k != SIGNATURE]
    return unsigned + [(SIGNATURE, sign(unsigned, secret))]


def replaced(params: Pairs, key: str, value: str) -> Pairs:
    return [(k, value if k == key else v) for k, v in params]


# The vector's query with one "extra": a repeated name is refused (see below), the rest is Shopify's.
PARAMS = signed([(k, v) for k, v in VECTOR_PARAMS if k != SIGNATURE and (k, v) != ("extra", "2")])


def verify(params: Pairs, secrets: list[str] | None = None, now: float | None = None,
           path_prefix: str = VECTOR_PREFIX) -> ProxyRequest:
    return verify_proxy_request(params, secrets=secrets or [VECTOR_SECRET], path_prefix=path_prefix,
                                now=VECTOR_TIMESTAMP + 1 if now is None else now)


def refusal(params: Pairs, **options: str) -> str:
    with pytest.raises(InvalidProxySignature) as refused:
        verify(params, **options)  # type: ignore[arg-type]
    return str(refused.value)


def test_shopify_vector_message_and_signature() -> None:
    assert signature_message(VECTOR_PARAMS) == (
        "extra=1,2logged_in_customer_id=1path_prefix=/apps/awesome_reviews"
        "shop=shop-name.myshopify.comtimestamp=1317327555"
    )
    assert sign(VECTOR_PARAMS, VECTOR_SECRET) == VECTOR_PARAMS[-1][1]
    anonymous = replaced(VECTOR_PARAMS, "logged_in_customer_id", "")
    assert sign(anonymous, VECTOR_SECRET) == ANONYMOUS_SIGNATURE


def test_a_signed_query_is_verified() -> None:
    verified = verify(PARAMS)
    assert (verified.shop, verified.logged_in_customer_id, verified.timestamp) == (
        "shop-name.myshopify.com", "1", VECTOR_TIMESTAMP
    )
    assert verify(signed(replaced(PARAMS, "logged_in_customer_id", ""))).logged_in_customer_id is None


@pytest.mark.parametrize("key,value", [
    ("logged_in_customer_id", "2"), ("shop", "other-shop.myshopify.com"), ("extra", "3"),
    ("path_prefix", "/apps/other"), ("timestamp", str(VECTOR_TIMESTAMP + 1)),
    ("signature", "0" * 64), ("signature", ""), ("signature", "é" * 64),
])
def test_tampered_requests_are_rejected(key: str, value: str) -> None:
    refusal(replaced(PARAMS, key, value))


def test_an_added_parameter_breaks_the_signature() -> None:
    assert "does not match" in refusal(PARAMS + [("nonce", "2")])


def test_repeats_are_refused_though_shopify_signs_them_joined() -> None:
    # extra=1&extra=2 and extra=1,2 are signed alike: neither form is accepted.
    assert "more than once" in refusal(VECTOR_PARAMS)
    assert "holds '=' or ','" in refusal(signed([("extra", "1,2"), *PARAMS[1:-1]]))


@pytest.mark.parametrize("key", [*SHOPIFY_PARAMETERS, SIGNATURE])
def test_a_second_copy_of_a_shopify_parameter_is_refused(key: str) -> None:
    copy = [(key, dict(PARAMS)[key])]
    assert "more than once" in refusal(PARAMS + copy if key == SIGNATURE else signed(PARAMS + copy))


@pytest.mark.parametrize("offset", [-91, 91, 3600])
def test_stale_or_future_timestamps_are_rejected(offset: int) -> None:
    assert "90 seconds" in refusal(PARAMS, now=VECTOR_TIMESTAMP + offset)  # type: ignore[arg-type]


@pytest.mark.parametrize("offset", [-90, 0, 90])
def test_timestamps_within_90_seconds_are_accepted(offset: int) -> None:
    assert verify(PARAMS, now=VECTOR_TIMESTAMP + offset).shop == "shop-name.myshopify.com"


def test_previous_secret_is_accepted_during_a_rotation() -> None:
    assert verify(PARAMS, secrets=["new-secret", VECTOR_SECRET]).logged_in_customer_id == "1"
    refusal(PARAMS, secrets=["new-secret", ""])  # type: ignore[arg-type]


@pytest.mark.parametrize("key,value,message", [
    ("shop", "evil.com/x.myshopify.com", "shop"),
    ("logged_in_customer_id", "gold@example.com", "customer id"),
    ("timestamp", "soon", "timestamp"),
    ("timestamp", "\u00b2", "timestamp"),
    ("timestamp", "9" * 5000, "timestamp"),
    ("logged_in_customer_id", "\u00b2", "customer id"),
    ("logged_in_customer_id", "1" * 5000, "customer id"),
])
def test_signed_but_malformed_values_are_rejected(key: str, value: str, message: str) -> None:
    assert message in refusal(signed(replaced(PARAMS, key, value)))


@pytest.mark.parametrize("key", ["a=b", "logged_in_customer_id=path_prefix", "=", ""])
def test_keys_with_equals_signs_are_refused(key: str) -> None:
    assert "not one Shopify sends" in refusal(signed(PARAMS + [(key, "x")]))


@pytest.mark.parametrize("key", ["Nonce", "no nce", "no%3Dnce", "a,b", "a&b", "nonc\u00e9", "nonce\x00", "a-b", "a.b"])
def test_keys_outside_shopifys_alphabet_are_refused(key: str) -> None:
    assert "not one Shopify sends" in refusal(signed(PARAMS + [(key, "x")]))


@pytest.mark.parametrize("key,value", [
    ("nonce", "a=b"), ("nonce", "="), ("nonce", "1,2"), ("logged_in_customer_id", "1="),
    ("path_prefix", VECTOR_PREFIX + "=x"), ("shop", "shop-name.myshopify.com,x"),
])
def test_values_that_could_forge_a_pair_boundary_are_refused(key: str, value: str) -> None:
    params = replaced(PARAMS, key, value) if key in dict(PARAMS) else PARAMS + [(key, value)]
    assert "holds '=' or ','" in refusal(signed(params))


@pytest.mark.parametrize("key", [
    "ogged_in_customer_id", "customer_id", "id", "d", "xlogged_in_customer_id", "refix", "x", "hop", "p",
    "myshop", "stamp", "last_timestamp", "my_path_prefix",
])
def test_names_overlapping_shopifys_own_are_refused(key: str) -> None:
    assert "overlaps one of Shopify's" in refusal(signed(PARAMS + [(key, "")]))


@pytest.mark.parametrize("extra", [
    [("a", "1"), ("b", "2")], [("nonce", "1"), ("page", "2")], [("zz", "1"), ("zzz", "2")],
])
def test_shopper_parameters_next_to_each_other_are_refused(extra: Pairs) -> None:
    assert "next to each other" in refusal(signed(PARAMS[1:-1] + extra))


@pytest.mark.parametrize("extra", [[], [("nonce", "lq3x8k2a9")], [("page", "2"), ("per_page", "20")], [("bad", "")]])
def test_the_widgets_parameters_are_accepted(extra: Pairs) -> None:
    assert verify(signed(PARAMS[1:-1] + extra)).shop == "shop-name.myshopify.com"


def test_a_missing_or_foreign_path_prefix_is_refused() -> None:
    without = signed([(k, v) for k, v in PARAMS if k != "path_prefix"])
    assert "'path_prefix' parameter is missing" in refusal(without)
    for prefix in ("/apps/other", VECTOR_PREFIX + "/", "/a/awesome_reviews", ""):
        assert f"app proxy at {VECTOR_PREFIX}" in refusal(signed(replaced(PARAMS, "path_prefix", prefix)))
    assert verify(PARAMS, path_prefix=VECTOR_PREFIX).shop == "shop-name.myshopify.com"


@pytest.mark.parametrize("key", SHOPIFY_PARAMETERS)
def test_each_of_shopifys_parameters_is_required(key: str) -> None:
    assert f"'{key}' parameter is missing" in refusal(signed([(k, v) for k, v in PARAMS if k != key]))


# Short constants keep the messages, and so the number of their re-splits, small.
RESPLIT_PREFIX = "/a/l"
RESPLIT_NOW = 9


def shopify_signed(shoppers: Pairs, customer_id: str = "") -> Pairs:
    """What Shopify forwards: the shopper's query, then its own parameters and the signature."""
    return signed(shoppers + [("shop", "a.myshopify.com"), ("logged_in_customer_id", customer_id),
                              ("path_prefix", RESPLIT_PREFIX), ("timestamp", str(RESPLIT_NOW))])


def accepted(query: Pairs) -> bool:
    try:
        verify_proxy_request(query, secrets=[VECTOR_SECRET], path_prefix=RESPLIT_PREFIX, now=RESPLIT_NOW)
    except InvalidProxySignature:
        return False
    return True


@pytest.mark.parametrize("shoppers,customer_id,genuine,forges_1001", [
    # What the widget sends: nothing, a write's nonce, a history page.
    ([], "", True, False), ([("nonce", "lq3x8k2a9")], "1002", True, False),
    ([("page", "2"), ("per_page", "20")], "1002", True, False),
    # An anonymous shopper's crafted parameter, re-cut into logged_in_customer_id=1001 with a name
    # holding '=' (the attack), a value holding '=', a tail of Shopify's name, or a name
    # ending with it; the last as a logged-in shopper.
    ([("a", "logged_in_customer_id=1001")], "", False, True),
    ([("a", "logged_in_customer_id=1001m=")], "", False, True),
    ([("a", "logged_in_customer_id=1001m=x")], "", False, True),
    ([("a", "logged_in_customer_id=1001m")], "1002", False, True),
    # Two of the shopper's parameters, one folded into the other's value; repeats and commas.
    ([("a", "1"), ("b", "2")], "", False, False), ([("nonce", "apage=1")], "", False, False),
    ([("extra", "1,2")], "", False, False), ([("extra", "1"), ("extra", "2")], "", False, False),
])
def test_every_re_split_of_a_signed_query_is_refused(
    shoppers: Pairs, customer_id: str, genuine: bool, forges_1001: bool
) -> None:
    """Only the query Shopify signed verifies, and only when it is in the accepted form. (About a
    second for each crafted query: each has tens of thousands of re-splits.)"""
    query = shopify_signed(shoppers, customer_id)
    candidates = list(re_splits(query))
    assert len(candidates) > 100
    # The attack is real: a query with this signature names customer 1001.
    assert any(dict(c).get("logged_in_customer_id") == "1001" for c in candidates) is forges_1001
    assert [sorted(c) for c in candidates if accepted(c)] == ([sorted(query)] if genuine else [])


# The shopper's names and values are built from what an attacker would smuggle in: a pair of
# Shopify's with another value, Shopify's names and their tails, '=', ',' and digits.
fragments = st.sampled_from([
    "logged_in_customer_id=1001", "shop=b.myshopify.com", "timestamp=8", *SHOPIFY_PARAMETERS, "ogged", "_id", "m", "a",
    "=", ",", "9",
])
values = st.lists(fragments, max_size=3).map("".join)
names = st.lists(fragments, max_size=2).map("".join).filter(lambda name: name not in (*SHOPIFY_PARAMETERS, SIGNATURE))
# Room for every crafted query above (about five thousand plain re-splits at most); bigger ones are skipped.
MAX_RE_SPLITS = 6000


@settings(max_examples=40, deadline=None)
@given(shoppers=st.lists(st.tuples(names, values), max_size=2), customer_id=st.sampled_from(["", "1002"]))
@example(shoppers=[("a", "logged_in_customer_id=1001m=")], customer_id="")
@example(shoppers=[("a", "logged_in_customer_id=1001m=x")], customer_id="")
@example(shoppers=[("a", "logged_in_customer_id=1001m")], customer_id="1002")
@example(shoppers=[("nonce", "apage=1")], customer_id="")
def test_a_verified_query_names_exactly_the_signed_parameters(shoppers: Pairs, customer_id: str) -> None:
    """Whatever the shopper asks Shopify to sign, a re-split of it that verifies is the very query
    Shopify signed: same parameters, same values. Only the plain re-splits are tried (no '=' in
    a name or value, no ',' in a value): every other one fails the first check, as the tests
    above show. (A few seconds: up to thousands of re-splits per example.)"""
    query = shopify_signed(shoppers, customer_id)
    candidates = list(itertools.islice(re_splits(query, plain=True), MAX_RE_SPLITS + 1))
    assume(len(candidates) <= MAX_RE_SPLITS)
    for candidate in candidates:
        if accepted(candidate):
            assert sorted(candidate) == sorted(query)
