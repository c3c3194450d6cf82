"""The admin's form input as pydantic models: field types that carry the messages merchants read,
and one parse that turns every field's error into FormErrors, shown beside each field."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar
from urllib.parse import urlparse

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

from shopify_app.errors import FormErrors

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_LIST = 250  # ids or tags in one field
FormModel = TypeVar("FormModel", bound="Form")


class Form(BaseModel):
    """A submitted form: fields it does not name are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)


def parse_form(model: type[FormModel], form: Mapping[str, str]) -> FormModel:
    """The form as ``model``; a field the form lacks is read as empty (a browser sends no value for
    an unticked choice). Raises FormErrors with the first message of each field."""
    try:
        return model.model_validate({name: form.get(name, "") for name in model.model_fields})
    except ValidationError as error:
        errors: dict[str, str] = {}
        for item in error.errors():
            errors.setdefault(str(item["loc"][0]) if item["loc"] else "form", item["msg"])
        raise FormErrors(errors) from None


def _invalid(message: str) -> PydanticCustomError:
    return PydanticCustomError("form_field", message)


def _on_stripped(check: Callable[[str], Any]) -> BeforeValidator:
    """A validator of the raw form value, surrounding spaces removed."""
    return BeforeValidator(lambda value: check("" if value is None else str(value).strip()))


def text_rule(*, required: bool = True, max_length: int = 255) -> BeforeValidator:
    def check(value: str) -> str:
        if required and not value:
            raise _invalid("Enter a value")
        if len(value) > max_length:
            raise _invalid(f"Use at most {max_length} characters")
        return value

    return _on_stripped(check)


def number_rule(*, maximum: int, minimum: int = 0, signed: bool = False) -> BeforeValidator:
    low = -maximum if signed else minimum

    def check(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise _invalid("Enter a whole number") from None
        if not low <= number <= maximum:
            raise _invalid(f"Enter a number from {low} to {maximum}")
        return number

    return _on_stripped(check)


def optional_number_rule(*, minimum: int, maximum: int) -> BeforeValidator:
    """A whole number from ``minimum`` to ``maximum``, or None when left empty."""

    def check(value: str) -> int | None:
        if not value:
            return None
        try:
            number = int(value)
        except ValueError:
            raise _invalid("Enter a whole number, or leave it empty") from None
        if not minimum <= number <= maximum:
            raise _invalid(f"Enter a number from {minimum} to {maximum}, or leave it empty")
        return number

    return _on_stripped(check)


def choice_rule(*options: str) -> BeforeValidator:
    def check(value: str) -> str:
        if value not in options:
            raise _invalid("Choose one of the options")
        return value

    return _on_stripped(check)


def _web_url(value: str) -> str | None:
    if len(value) > 2048:
        raise _invalid("Use at most 2048 characters")
    if value and urlparse(value).scheme not in ("https", "http"):
        raise _invalid("Enter a full URL starting with https://")
    return value or None


def _colour(value: str) -> str:
    if not value:
        raise _invalid("Enter a value")
    if not HEX_COLOUR.match(value):
        raise _invalid("Enter a colour like #c0c0c0")
    return value


def _multiplier(value: str) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise _invalid("Enter a number such as 1.25") from None
    if not number.is_finite() or not Decimal("0.1") <= number <= Decimal(10):
        raise _invalid("Enter a multiplier from 0.1 to 10")
    return number


def _not_zero(value: int) -> int:
    if value == 0:
        raise _invalid("Enter a positive number to add or a negative one to remove")
    return value


def id_list_rule(kind: str) -> BeforeValidator:
    """Shopify ids of ``kind`` (digits, or ``gid://shopify/<kind>/<digits>``) separated by commas, spaces or lines."""

    def check(value: str) -> list[str]:
        ids = []
        for item in re.split(r"[\s,]+", value):
            digits = item.removeprefix(f"gid://shopify/{kind}/")
            if not item:
                continue
            if not (digits.isascii() and digits.isdigit() and 0 < len(digits) <= 19):
                raise _invalid(f"Enter {kind.lower()} ids (numbers), separated by commas")
            ids.append(str(int(digits)))
        if len(ids) > MAX_LIST:
            raise _invalid(f"Enter at most {MAX_LIST}")
        return list(dict.fromkeys(ids))

    return _on_stripped(check)


def _tags(value: str) -> list[str]:
    """Tags separated by commas, as Shopify writes them."""
    tags = [tag.strip() for tag in value.split(",") if tag.strip()]
    if len(tags) > MAX_LIST or any(len(tag) > 255 for tag in tags):
        raise _invalid(f"Enter at most {MAX_LIST} tags of at most 255 characters")
    return list(dict.fromkeys(tags))


Text = Annotated[str, text_rule()]
OptionalText = Annotated[str, text_rule(required=False)]
WebUrl = Annotated[str | None, _on_stripped(_web_url)]
Colour = Annotated[str, _on_stripped(_colour)]
Multiplier = Annotated[Decimal, _on_stripped(_multiplier)]
# A points change: added (+) or removed (-), never nothing.
PointsChange = Annotated[int, number_rule(maximum=1_000_000, signed=True), AfterValidator(_not_zero)]
ProductIds = Annotated[list[str], id_list_rule("Product")]
CollectionIds = Annotated[list[str], id_list_rule("Collection")]
Tags = Annotated[list[str], _on_stripped(_tags)]
# A checkbox: a browser sends its value when ticked, nothing when not.
Checkbox = Annotated[bool, _on_stripped(lambda value: value in ("1", "on", "true"))]
