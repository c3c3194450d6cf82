"""Fake Klaviyo, Omnisend and Postscript with their rate limits, 429 answers and deduplication."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from tests.fakes.server import FakeServer, Recorded, Window, json_response

JSONAPI = "application/vnd.api+json"


class FakeKlaviyo(FakeServer):
    """profile-import (75/s) and events (350/s, kept once per unique_id); 429 with Retry-After."""

    def __init__(self, profiles_per_second: int = 75) -> None:
        super().__init__()
        self.windows = {"/api/profile-import": Window(profiles_per_second, 1.0), "/api/events": Window(350, 1.0)}
        self.profiles: dict[str, dict[str, Any]] = {}
        self.events: dict[str, dict[str, Any]] = {}

    def handle(self, request: Recorded) -> Response:
        window = self.windows.get(request.path)
        if request.method != "POST" or window is None:
            return json_response({"errors": [{"status": 404}]}, 404, content_type=JSONAPI)
        if not window.admit():
            return json_response({"errors": [{"status": 429, "code": "throttled",
                                              "detail": "Request was throttled. Expected available in 1 second."}]},
                                 429, {"Retry-After": "1"}, JSONAPI)
        attributes = request.json["data"]["attributes"]
        if request.path == "/api/events":
            self.events.setdefault(attributes["unique_id"], attributes)
            return Response(status=202)
        created = attributes["external_id"] not in self.profiles
        self.profiles[attributes["external_id"]] = attributes
        return json_response({"data": {"type": "profile", "id": "01P"}}, 201 if created else 200, content_type=JSONAPI)


class FakeOmnisend(FakeServer):
    """400 requests a minute per brand (sliding window); 429 as problem+json with retryAfter."""

    def __init__(self, per_minute: int = 400) -> None:
        super().__init__()
        self.window = Window(per_minute, 60.0)
        self.contacts: dict[str, dict[str, Any]] = {}
        self.events: dict[str, dict[str, Any]] = {}

    def handle(self, request: Recorded) -> Response:
        if not self.window.admit():
            return json_response({"type": "https://problems.omnisend.com/rate-limit-exceeded", "title": "Too Many",
                                  "status": 429, "retryAfter": 1}, 429, content_type="application/problem+json")
        if request.path == "/api/contacts":
            email = request.json["identifiers"][0]["id"]
            created = email not in self.contacts
            self.contacts[email] = request.json
            return json_response({"contactID": "c1"}, 201 if created else 200)
        if request.path == "/api/events":
            self.events.setdefault(request.json["eventID"], request.json)
            return Response(status=202)
        return json_response({"status": 404}, 404)


class FakePostscript(FakeServer):
    """15 requests/s per token; 429 with error_code 3002 and no Retry-After; subscribers are never created."""

    def __init__(self, per_second: int = 15) -> None:
        super().__init__()
        self.window = Window(per_second, 1.0)
        self.subscribers: list[dict[str, Any]] = []
        self.events: dict[str, dict[str, Any]] = {}
        self.refused = 0

    def handle(self, request: Recorded) -> Response:
        if not self.window.admit():
            self.refused += 1
            return json_response({"error_code": 3002, "error_message": "Rate limit exceeded", "success": False}, 429)
        if request.path == "/api/v2/subscribers" and request.method == "GET":
            (field, value), = request.query.items()
            key = field.removesuffix("__eq")
            return json_response({"subscribers": [s for s in self.subscribers if str(s.get(key)) == value],
                                  "page_info": {"page": 1, "total_pages": 1}})
        if request.path.startswith("/api/v2/subscribers/") and request.method == "PATCH":
            subscriber = next(s for s in self.subscribers if s["id"] == request.path.rsplit("/", 1)[1])
            subscriber["properties"] = {**subscriber.get("properties", {}), **request.json["properties"]}
            return json_response(subscriber)
        if request.path == "/api/v2/events" and request.method == "POST":
            self.events.setdefault(request.json["external_id"], request.json)
            return json_response({"event_ids": ["ev_1"]}, 202)
        return json_response({"error_code": 3001, "error_message": "Not found", "success": False}, 404)
