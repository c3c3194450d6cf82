"""Request bodies through pydantic models: each invalid field one JSON:API error, in field order."""

from __future__ import annotations

import json

import pytest
from flask import Flask, request

from shopify_app.errors import BadRequest
from shopify_app.web import errors
from shopify_app.web.bodies import Body, InvalidBody, Text, parse_body


class Reward(Body):
    name: Text
    points: int
    note: Text | None = None


@pytest.fixture
def bare_app() -> Flask:
    """A bare app with the project's error handlers and one endpoint that takes a Reward."""
    app = Flask(__name__)
    errors.register(app)

    @app.post("/v1/rewards")
    def create() -> str:
        return parse_body(request, Reward).name

    return app


def parse(app: Flask, raw: bytes) -> Reward:
    with app.test_request_context(data=raw, method="POST"):
        return parse_body(request, Reward)


def details(app: Flask, body: object) -> list[str]:
    with pytest.raises(InvalidBody) as raised:
        parse(app, json.dumps(body).encode())
    return raised.value.details


def test_a_valid_body_is_typed_and_extra_names_are_dropped(bare_app: Flask) -> None:
    reward = parse(bare_app, b'{"name": "Tote", "points": 500, "colour": "red"}')
    assert reward == Reward(name="Tote", points=500)
    assert not hasattr(reward, "colour")


def test_every_invalid_field_is_named_in_field_order(bare_app: Flask) -> None:
    assert details(bare_app, {"points": "500", "note": " "}) == [
        "'name' is required", "'points' input should be a valid integer", "'note' must not be empty",
    ]


@pytest.mark.parametrize(("body", "detail"), [
    ({"name": None, "points": 1}, "'name' is required"),
    ({"name": 7, "points": 1}, "'name' must be a string"),
    ({"name": "a\u0000b", "points": 1}, "'name' must not contain NUL characters or unpaired surrogates"),
    ({"name": "\ud800", "points": 1}, "'name' must not contain NUL characters or unpaired surrogates"),
    ({"name": "Tote", "points": True}, "'points' input should be a valid integer"),
])
def test_one_field_one_sentence(bare_app: Flask, body: object, detail: str) -> None:
    assert details(bare_app, body) == [detail]


@pytest.mark.parametrize("raw", [b"", b"{", b"[]", b"null", b'"x"'])
def test_what_is_no_json_object_is_a_plain_bad_request(bare_app: Flask, raw: bytes) -> None:
    with pytest.raises(BadRequest) as raised:
        parse(bare_app, raw)
    assert not isinstance(raised.value, InvalidBody)


def test_the_error_handler_gives_one_error_object_per_field(bare_app: Flask) -> None:
    response = bare_app.test_client().post("/v1/rewards", data=b'{"note": 3}')
    assert response.status_code == 400
    assert response.content_type == "application/vnd.api+json"
    assert response.get_json(force=True) == {"errors": [
        {"status": "400", "title": "Bad Request", "detail": "'name' is required"},
        {"status": "400", "title": "Bad Request", "detail": "'points' is required"},
        {"status": "400", "title": "Bad Request", "detail": "'note' must be a string"},
    ]}
