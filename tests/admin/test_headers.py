"""The admin's own headers: nothing under /admin is cached, and only the authenticated shop may frame it."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.models import Customer, CustomerDataExport
from tests import factories
from tests.admin.conftest import TokenClient

FIXED = "frame-ancestors https://admin.shopify.com;"


def test_admin_pages_and_exports_are_not_cached(app: Flask, admin: TokenClient, client, dev_login_app: Flask,
                                                session: Session, demo_shop) -> None:
    customer_id = session.scalar(select(Customer.id).where(Customer.shop_id == demo_shop["shop_id"]).limit(1))
    export = CustomerDataExport(shop_id=demo_shop["shop_id"], shopify_customer_id="1001", data_request_id="91",
                                data={"customer": {"email": "gold@example.com"}})
    session.add(export)
    session.commit()
    responses = {
        url: admin.get(url) for url in ("/admin/", "/admin/rules", "/admin/tiers", "/admin/customers",
                                        f"/admin/customers/{customer_id}", "/admin/settings", "/admin/privacy",
                                        f"/admin/privacy/{export.id}/download", "/admin/customers/cus_missing")
    }
    responses["new API key"] = admin.post("/admin/settings/api-keys", data={"key_name": "Server", "access": "full"})
    responses["bounce page"] = client.get("/admin/session-bounce", query_string={"shopify-reload": "/admin/"})
    responses["page load without a token"] = client.get("/admin/settings")
    responses["fetch without a token"] = client.get(f"/admin/privacy/{export.id}/download",
                                                    headers={"Authorization": "Bearer forged"})
    responses["unknown path"] = client.get("/admin/no-such-page")
    responses["demo login page"] = dev_login_app.test_client().get("/admin/dev-login")
    assert "lk_" in responses["new API key"].get_data(as_text=True)
    assert responses[f"/admin/privacy/{export.id}/download"].json == export.data
    for name, response in responses.items():
        assert response.headers.get("Cache-Control") == "no-store", name


def test_frame_ancestors_never_reflects_an_unauthenticated_shop(app: Flask, client, dev_login_app: Flask,
                                                               session: Session, demo_shop) -> None:
    evil = {"shop": "evil.myshopify.com"}
    config = app.config["LOYALTY"]
    unauthenticated = [
        client.get("/admin/session-bounce", query_string={**evil, "shopify-reload": "/admin/"}),
        client.get("/admin/", query_string=evil),
        client.post("/admin/rules/new", query_string=evil),
        client.get("/admin/no-such-page", query_string=evil),
        client.get("/admin/", query_string={**evil, "id_token": "not.a.jwt"}),
        # A genuine token of a shop that has not installed the app authenticates nothing either.
        client.get("/admin/", query_string=evil, headers={
            "Authorization": f"Bearer {factories.session_token(config, 'evil.myshopify.com')}"}),
        dev_login_app.test_client().get("/admin/dev-login", query_string=evil),
    ]
    for response in unauthenticated:
        assert response.headers["Content-Security-Policy"] == FIXED, response.request.url
    # Authenticated, the shop is the token's, whatever the query says.
    signed_in = TokenClient(app, demo_shop["domain"]).get("/admin/", query_string=evil)
    assert signed_in.status_code == 200
    assert signed_in.headers["Content-Security-Policy"] == (
        f"frame-ancestors https://{demo_shop['domain']} https://admin.shopify.com;"
    )
