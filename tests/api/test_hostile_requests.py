"""Whatever arrives at the award or the storefront proxy, the answer is a JSON:API document,
never a 500 and never a redirect."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from flask import Flask
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shopify_app.db import sessionmaker_for
from shopify_app.devtools import demo
from tests import factories
from tests.proxy.signing import signed_params

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
# Strings the database or its driver refuse (NUL, lone surrogates), emails, ids in other scripts.
hostile_text = st.lists(
    st.sampled_from(["1001", "gold", "example.com", "gid://shopify/Customer/", "\x00", "\ud800", "\udfff",
                     "\u0661\u0662", "\u00b2", " ", "%00", "'"]) | st.text(max_size=5),
    max_size=4,
).map("".join)
identifiers = st.one_of(
    st.sampled_from(["1001", "1002", "1003", "GOLD@EXAMPLE.COM", "gid://shopify/Customer/1002", ""]),
    st.builds(lambda local, at, domain: f"{local}{at}{domain}", hostile_text, st.sampled_from(["@", "", "@@"]),
              hostile_text),
)
identifier_bodies = st.builds(
    lambda i, extra: json.dumps({"customer_identifier": i, **extra}).encode(), identifiers | json_values,
    st.dictionaries(st.text(max_size=5), json_values, max_size=2),
)
other_bodies = st.one_of(
    st.binary(max_size=64),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.sampled_from([b'{"customer_identifier": NaN}', b'{"customer_identifier": 1e309}', b"[" * 2000 + b"]" * 2000,
                     b'{"customer_identifier": ' + b"9" * 5000 + b"}"]),
)
header_values = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80)
extra_headers = st.dictionaries(
    st.sampled_from(["X-Forwarded-For", "X-Forwarded-Host", "Accept", "Content-Encoding", "Cookie", "Range"]),
    header_values, max_size=2,
)
content_types = st.sampled_from(["application/json", "text/plain", "application/vnd.api+json", ""])
rule_names = st.sampled_from(["follow_on_instagram", "follow_on_tiktok", "place_order", "share_on_facebook"])
path_text = st.text(max_size=12).map(lambda text: quote(text, safe="/"))


@st.composite
def award_requests(draw: st.DrawFn) -> dict[str, Any]:
    auth = draw(st.one_of(st.just("full"), st.just("full"), st.just("full"), st.sampled_from(["read_only", "none"]),
                          header_values))
    # Half the bodies name a customer, so the hostile identifiers reach the customer lookup.
    body = draw(identifier_bodies if draw(st.booleans()) else other_bodies)
    return {
        "method": "POST", "auth": auth, "rule": draw(rule_names | path_text), "path": "/v1/earning-rules/{rule}/award",
        "query": "", "body": body, "content_type": draw(content_types), "headers": draw(extra_headers),
    }


shopper_params = st.lists(st.tuples(
    st.sampled_from(["page", "per_page", "nonce"]) | st.text(max_size=6),
    st.sampled_from(["1", "0", "50", "51", "-1", "9" * 5000, "\u00b2", "x"]) | st.text(max_size=8),
), max_size=3)
endpoints = st.sampled_from([
    ("GET", "/customer"), ("GET", "/earning-rules"), ("GET", "/vip-tiers"), ("GET", "/history"),
    ("POST", "/earning-rules/{rule}/claim"),
])
odd_requests = st.tuples(
    st.sampled_from(["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS"]),
    st.sampled_from(["//customer", "/customer/", "/earning-rules//claim", "/", ""]) | path_text.map(lambda t: "/" + t),
)


@st.composite
def proxy_requests(draw: st.DrawFn) -> dict[str, Any]:
    method, path = draw(endpoints | odd_requests)
    customer = draw(st.sampled_from(["1001", "1002", "1003", "999999", ""]))
    signed = st.builds(lambda params: urlencode(signed_params(customer or None, params=params)), shopper_params)
    # Mostly signed as Shopify does, so the request gets past the signature to the endpoint.
    query = draw(st.one_of(
        signed, signed, signed,
        st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8))).map(urlencode),
        st.text(max_size=40).map(lambda text: quote(text, safe="=&%")),
    ))
    return {
        "method": method, "auth": "none", "rule": draw(rule_names | path_text), "path": "/proxy" + path,
        "query": query, "body": draw(identifier_bodies | other_bodies), "content_type": draw(content_types),
        "headers": draw(extra_headers),
    }


def award_of(identifier: str) -> dict[str, Any]:
    return {
        "method": "POST", "auth": "full", "rule": "follow_on_instagram", "path": "/v1/earning-rules/{rule}/award",
        "query": "", "body": json.dumps({"customer_identifier": identifier}).encode(),
        "content_type": "application/json", "headers": {},
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(call=award_requests() | proxy_requests())
# Inputs that once gave a 500 or a redirect, tried on every run.
@example(call=award_of("gold\udfff@example.com"))
@example(call=award_of("gold\x00@example.com"))
@example(call={**award_of(""), "method": "GET", "path": "/proxy//customer", "query": "signature=abc"})
def test_fuzzed_award_and_proxy_requests_never_give_a_500(app: Flask, call: dict[str, Any]) -> None:
    """(About five seconds: 150 requests through the whole app.)"""
    with sessionmaker_for(app).begin() as session:
        keys = factories.describe(session, demo.seed(session, app.config["LOYALTY"].shopify_api_secret))
    headers = dict(call["headers"])
    named = {"full": keys["api_key"], "read_only": keys["read_only_api_key"], "none": None}
    auth = named.get(call["auth"], call["auth"])
    if auth is not None:
        headers["Authorization"] = auth
    path = call["path"].format(rule=keys["rules"].get(call["rule"], call["rule"]))
    response = app.test_client().open(
        f"{path}?{call['query']}" if call["query"] else path, method=call["method"], data=call["body"],
        headers=headers, content_type=call["content_type"] or None,
    )
    assert response.status_code < 500 and not 300 <= response.status_code < 400, response.get_data(as_text=True)
    assert "Location" not in response.headers
    if call["method"] == "OPTIONS" and response.status_code == 200:
        return  # Flask's own answer: an Allow header and no body
    assert response.content_type == "application/vnd.api+json"
    if call["method"] == "HEAD":
        return
    document = json.loads(response.get_data())
    if response.status_code in (200, 201):
        assert "data" in document
    else:
        assert document["errors"][0]["status"] == str(response.status_code)
