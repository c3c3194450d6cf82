"""The app's error handlers: domain errors, and every error under /v1, /proxy and /webhooks, as JSON:API documents."""

from __future__ import annotations

import logging

from flask import Flask, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from shopify_app.errors import DomainError
from shopify_app.web.bodies import InvalidBody
from shopify_app.web.jsonapi import error_document

logger = logging.getLogger(__name__)


# The storefront's app-proxy endpoints and the webhook intake answer with the same JSON error documents.
JSON_PREFIXES = ("/v1", "/proxy", "/webhooks")


def _is_api_request() -> bool:
    return any(request.path == prefix or request.path.startswith(prefix + "/") for prefix in JSON_PREFIXES)


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> ResponseReturnValue:
        return error_document(error.status, error.title, error.detail)

    @app.errorhandler(InvalidBody)
    def invalid_body(error: InvalidBody) -> ResponseReturnValue:
        return error_document(error.status, error.title, *error.details)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        if not _is_api_request():
            return error
        status = error.code or 500
        return error_document(status, error.name, error.description or error.name)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> ResponseReturnValue:
        logger.exception("unhandled error on %s %s", request.method, request.path)
        if not _is_api_request():
            return "Internal Server Error", 500
        return error_document(500, "Internal Server Error", "Something went wrong on our side")
