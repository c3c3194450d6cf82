"""Request bodies as pydantic models, and their validation errors as JSON:API 400 errors."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, TypeVar

from flask import Request
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

from shopify_app.errors import BadRequest
from shopify_app.web.jsonapi import json_object_body, storable_text


class Body(BaseModel):
    """A request body: strict types (a JSON number is no string), names it does not declare ignored."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


BodyT = TypeVar("BodyT", bound=Body)


def _storable(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "must not be empty")
    if not storable_text(value):
        raise PydanticCustomError("unstorable", "must not contain NUL characters or unpaired surrogates")
    return value


# A string with something in it that the database can hold.
Text = Annotated[str, AfterValidator(_storable)]


def _iso_date(value: Any) -> Any:
    if value is None or isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("iso_date", "must be an ISO 8601 date (YYYY-MM-DD) or null")


# A calendar date sent as "YYYY-MM-DD".
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


class InvalidBody(BadRequest):
    """400 with one JSON:API error per invalid field, in the model's field order."""

    def __init__(self, details: list[str]) -> None:
        super().__init__(details[0])
        self.details = details


def parse_body(request: Request, model: type[BodyT]) -> BodyT:
    """The request's JSON object as ``model``; BadRequest (or InvalidBody) when it is not one."""
    body = json_object_body(request)
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise InvalidBody([field_error(e) for e in error.errors(include_url=False)]) from None


def field_error(error: ErrorDetails) -> str:
    """One pydantic error as the sentence a client reads: the field, then what is wrong with it."""
    name = ".".join(str(part) for part in error["loc"]) or "body"
    # A JSON null counts as leaving the field out, as it always has.
    if error["type"] == "missing" or (error["type"].endswith("_type") and error.get("input", ...) is None):
        return f"'{name}' is required"
    if error["type"] == "string_type":
        return f"'{name}' must be a string"
    return f"'{name}' {_lower_first(error['msg'])}"


def _lower_first(message: str) -> str:
    return message[:1].lower() + message[1:]

