"""Flask commands of the background side: worker, jobs, integrations."""

from __future__ import annotations

from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from shopify_app.db import sessionmaker_for
from shopify_app.errors import DomainError
from shopify_app.integrations import settings
from shopify_app.jobs import failures, past_orders, runtime, worker
from shopify_app.jobs.destinations import shopify_client
from shopify_app.loyalty.earning.reconciliation import PAGE_COST
from shopify_app.models import Shop
from shopify_app.redis_conn import get_redis
from shopify_app.shops.lookup import get_shop

jobs_cli = AppGroup("jobs", help="Background jobs and failed deliveries.")
integrations_cli = AppGroup("integrations", help="Per-shop Klaviyo, Omnisend and Postscript settings.")
orders_cli = AppGroup("orders", help="Points for a shop's past orders.")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Relay the outbox, run what is queued and due, then exit.")
def worker_command(burst: bool) -> None:
    """Run a worker on every queue, with the scheduler and the outbox relay."""
    worker.run(current_app, burst=burst)


@jobs_cli.command("failed")
@click.option("--shop", "shop_domain", default=None, help="Only this shop's deliveries.")
def jobs_failed(shop_domain: str | None) -> None:
    """List deliveries that failed for good, with their last error."""
    with sessionmaker_for(current_app)() as session:
        rows = failures.failed_rows(session, shop_domain)
    if not rows:
        click.echo("No failed deliveries")
    for row in rows:
        click.echo(f"{row.id}\t{row.topic}\t{row.customer_id or '-'}\tattempts={row.attempts}\t{row.last_error}")


@jobs_cli.command("retry-failed")
@click.option("--shop", "shop_domain", default=None, help="Only this shop's deliveries.")
def jobs_retry_failed(shop_domain: str | None) -> None:
    """Send failed deliveries again (the next relay picks them up)."""
    with sessionmaker_for(current_app).begin() as session:
        count = failures.retry_failed(session, get_redis(current_app), shop_domain)
    click.echo(f"{count} deliveries queued again")


def _shop(session: Session, domain: str) -> Shop:
    shop = get_shop(session, domain)
    if shop is None:
        raise click.ClickException(f"no shop {domain}")
    return shop


@integrations_cli.command("set")
@click.argument("shop_domain")
@click.argument("service")
@click.option("--api-key", required=True, help="The service's private API key (stored encrypted).")
def integrations_set(shop_domain: str, service: str, api_key: str) -> None:
    """Store SERVICE's API key for SHOP_DOMAIN and enable it."""
    try:
        with sessionmaker_for(current_app).begin() as session:
            settings.set_api_key(session, _shop(session, shop_domain), service, api_key, current_app.config["LOYALTY"])
    except DomainError as error:
        raise click.ClickException(error.detail) from None
    click.echo(f"{service} enabled for {shop_domain}")


@integrations_cli.command("disable")
@click.argument("shop_domain")
@click.argument("service")
def integrations_disable(shop_domain: str, service: str) -> None:
    """Stop syncing SHOP_DOMAIN to SERVICE (its deliveries end as skipped)."""
    try:
        with sessionmaker_for(current_app).begin() as session:
            settings.disable(session, _shop(session, shop_domain), service)
    except DomainError as error:
        raise click.ClickException(error.detail) from None
    click.echo(f"{service} disabled for {shop_domain}")


@orders_cli.command("past")
@click.argument("shop_domain")
@click.option("--days", type=int, required=True, help="Give points for the orders of the last DAYS days.")
@click.option("--run", "run_it", is_flag=True, help="Give the points; without it, only the preview.")
def orders_past(shop_domain: str, days: int, run_it: bool) -> None:
    """Preview, or with --run give, points for SHOP_DOMAIN's orders of the last DAYS days, through the
    order handler (orders that already earned are not counted again)."""
    ctx = runtime.bind(current_app)
    with ctx.sessions() as session:
        shop_id = _shop(session, shop_domain).id

    def execute(shop: Shop, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        return shopify_client(ctx, shop).execute(query, variables, cost=PAGE_COST)

    try:
        outcome = past_orders.past_orders(ctx.sessions, shop_id, execute, days, preview=not run_it)
    except DomainError as error:
        raise click.ClickException(error.detail) from None
    verb = "Gave" if run_it else "Would give"
    click.echo(f"{verb} {outcome.points} points to {outcome.members} members for {outcome.orders} orders")


COMMANDS = (worker_command, jobs_cli, integrations_cli, orders_cli)
