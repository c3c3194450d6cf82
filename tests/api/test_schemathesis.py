"""schemathesis against the served OpenAPI document: every operation, valid and invalid inputs; no 5xx,
responses as documented, statuses the document names."""

from __future__ import annotations

from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fakes.shopify import FakeShopify

# The checks the contract promises. Not negative_data_rejection: the test sends a valid key whatever the
# case, and the API ignores query parameters it does not name (as it must for unknown non-filter keys).
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

EXAMPLES = 20


def test_every_operation_keeps_the_contract(shopify_app: tuple[Flask, FakeShopify], demo_shop: dict[str, Any]) -> None:
    """(About a minute: every operation, positive and negative cases, through the whole app.) The demo
    shop is connected to a fake Shopify, as an installed shop is: an enrolment of a customer Shopify
    does not have is then its documented 404, not the 503 of a shop with no token."""
    app, _shopify = shopify_app
    schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", app)
    headers = {"Authorization": demo_shop["api_key"]}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            def keeps_the_contract(case: Any) -> None:
                case.call_and_validate(headers=headers, checks=CHECKS)

            keeps_the_contract()
