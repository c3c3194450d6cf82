"""Whatever arrives, the award endpoint answers with a JSON:API document and never a 500."""

from __future__ import annotations

import json

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopify_app.db import sessionmaker_for
from shopify_app.loyalty import demo
from tests import factories

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
identifiers = st.sampled_from(["1001", "1002", "1003", "GOLD@EXAMPLE.COM", "gid://shopify/Customer/1002", ""]) | st.text(max_size=30)
bodies = st.one_of(
    st.binary(max_size=64),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.builds(lambda i, extra: json.dumps({"customer_identifier": i, **extra}).encode(), identifiers | json_values,
              st.dictionaries(st.text(max_size=5), json_values, max_size=2)),
)
header_values = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=bodies,
    auth=st.sampled_from(["full", "read_only", "none"]) | header_values,
    rule=st.sampled_from(["follow_on_instagram", "follow_on_tiktok", "place_order", "share_on_facebook"]) | st.text(
        alphabet=st.characters(min_codepoint=48, max_codepoint=122), min_size=1, max_size=20),
    content_type=st.sampled_from(["application/json", "text/plain", "application/vnd.api+json", ""]),
    extra_headers=st.dictionaries(st.sampled_from(["X-Forwarded-For", "Accept", "Content-Encoding"]), header_values, max_size=2),
)
def test_award_never_answers_500(app: Flask, body: bytes, auth: str, rule: str, content_type: str,
                                 extra_headers: dict[str, str]) -> None:
    with sessionmaker_for(app).begin() as session:
        keys = factories.describe(session, demo.seed(session, app.config["LOYALTY"].shopify_api_secret))
    headers = dict(extra_headers)
    if auth == "full":
        headers["Authorization"] = keys["api_key"]
    elif auth == "read_only":
        headers["Authorization"] = keys["read_only_api_key"]
    elif auth != "none":
        headers["Authorization"] = auth
    rule_id = keys["rules"].get(rule, rule)
    response = app.test_client().post(f"/v1/earning-rules/{rule_id}/award", data=body, headers=headers,
                                      content_type=content_type or None)
    assert response.status_code in {201, 400, 401, 403, 404, 409, 422}, response.get_data(as_text=True)
    assert response.content_type == "application/vnd.api+json"
    document = json.loads(response.get_data())
    if response.status_code == 201:
        assert document["data"]["type"] == "earning_history_entry"
    else:
        assert document["errors"][0]["status"] == str(response.status_code)
