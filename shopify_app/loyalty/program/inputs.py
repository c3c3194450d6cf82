"""The admin's form input: typed values read from a submitted form, field errors collected and raised together."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from shopify_app.errors import FormErrors

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_LIST = 250  # ids or tags in one field


class Fields:
    """Reads typed values out of a submitted form, remembering what was wrong with each."""

    def __init__(self, form: dict[str, str]) -> None:
        self.form = form
        self.errors: dict[str, str] = {}

    def text(self, name: str, *, required: bool = True, max_length: int = 255) -> str:
        value = (self.form.get(name) or "").strip()
        if required and not value:
            self.errors[name] = "Enter a value"
        elif len(value) > max_length:
            self.errors[name] = f"Use at most {max_length} characters"
        return value

    def integer(self, name: str, *, minimum: int = 0, maximum: int = 10_000_000, allow_negative: bool = False) -> int:
        raw = (self.form.get(name) or "").strip()
        try:
            value = int(raw)
        except ValueError:
            self.errors[name] = "Enter a whole number"
            return 0
        low = -maximum if allow_negative else minimum
        if not low <= value <= maximum:
            self.errors[name] = f"Enter a number from {low} to {maximum}"
        return value

    def url(self, name: str) -> str | None:
        value = self.text(name, required=False, max_length=2048)
        if value and urlparse(value).scheme not in ("https", "http"):
            self.errors[name] = "Enter a full URL starting with https://"
        return value or None

    def colour(self, name: str) -> str:
        value = self.text(name, max_length=7)
        if value and not HEX_COLOUR.match(value):
            self.errors[name] = "Enter a colour like #c0c0c0"
        return value

    def choice(self, name: str, choices: list[str] | tuple[str, ...]) -> str:
        value = (self.form.get(name) or "").strip()
        if value not in choices:
            self.errors[name] = "Choose one of the options"
        return value

    def id_list(self, name: str, *, kind: str) -> list[str]:
        """Shopify ids (digits, or ``gid://shopify/<kind>/<digits>``) separated by commas, spaces or lines."""
        ids = []
        for item in re.split(r"[\s,]+", (self.form.get(name) or "").strip()):
            digits = item.removeprefix(f"gid://shopify/{kind}/")
            if not item:
                continue
            if not (digits.isascii() and digits.isdigit() and 0 < len(digits) <= 19):
                self.errors[name] = f"Enter {kind.lower()} ids (numbers), separated by commas"
                return []
            ids.append(str(int(digits)))
        if len(ids) > MAX_LIST:
            self.errors[name] = f"Enter at most {MAX_LIST}"
        return list(dict.fromkeys(ids))

    def tag_list(self, name: str) -> list[str]:
        """Tags separated by commas, as Shopify writes them."""
        tags = [tag.strip() for tag in (self.form.get(name) or "").split(",") if tag.strip()]
        if len(tags) > MAX_LIST or any(len(tag) > 255 for tag in tags):
            self.errors[name] = f"Enter at most {MAX_LIST} tags of at most 255 characters"
        return list(dict.fromkeys(tags))

    def checkbox(self, name: str) -> bool:
        return self.form.get(name) in ("1", "on", "true")

    def check(self) -> None:
        if self.errors:
            raise FormErrors(self.errors)
