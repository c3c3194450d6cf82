"""Flask commands of the background side: worker, jobs, integrations."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from shopify_app.db import sessionmaker_for
from shopify_app.errors import DomainError
from shopify_app.integrations import settings
from shopify_app.jobs import failures, worker
from shopify_app.models import Shop
from shopify_app.redis_conn import get_redis
from shopify_app.shops.lookup import get_shop

jobs_cli = AppGroup("jobs", help="Background jobs and failed deliveries.")
integrations_cli = AppGroup("integrations", help="Per-shop Klaviyo, Omnisend and Postscript settings.")


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


COMMANDS = (worker_command, jobs_cli, integrations_cli)
