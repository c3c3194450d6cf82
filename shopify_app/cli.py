"""Flask commands: db, demo, api-keys, shops, webhooks, secrets, ledger, import, export; worker, jobs and
integrations come from shopify_app.jobs."""

from __future__ import annotations

import csv
import dataclasses
import json
import sys
from collections.abc import Callable, Iterable
from typing import Any, TextIO

import click
import httpx
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app import crypto, migrations
from shopify_app.clock import isoformat_z
from shopify_app.config import Config
from shopify_app.db import engine_for, sessionmaker_for
from shopify_app.devtools import demo
from shopify_app.errors import DomainError
from shopify_app.integrations.http import DeliveryError
from shopify_app.integrations.shopify_graphql import GraphQLClient, graphql_url, shopify_shop_id
from shopify_app.jobs import webhook_deliveries
from shopify_app.loyalty.ledger import audit
from shopify_app.loyalty.members import csv_export, enrolment, points_import
from shopify_app.loyalty.program import tiers as program_tiers
from shopify_app.loyalty.rewards.catalogue import rewards
from shopify_app.models import Customer, EarningRule, IntegrationSetting, Shop
from shopify_app.shops import api_keys, installs
from shopify_app.shops.lookup import get_shop

db_cli = AppGroup("db", help="Database schema.")
demo_cli = AppGroup("demo", help="The demo shop.")
keys_cli = AppGroup("api-keys", help="REST API keys.")
shops_cli = AppGroup("shops", help="Shops that installed the app.")
webhooks_cli = AppGroup("webhooks", help="Webhook deliveries.")
secrets_cli = AppGroup("secrets", help="Secrets stored encrypted (shop tokens, vendor keys).")
# Every column holding a secret encrypted with DATA_ENCRYPTION_KEY, by its table and the table's shop column.
ENCRYPTED_COLUMNS = ((Shop, Shop.id, ("access_token_ciphertext", "refresh_token_ciphertext")),
                     (IntegrationSetting, IntegrationSetting.shop_id, ("api_key_ciphertext",)))
ledger_cli = AppGroup("ledger", help="The points ledger.")
import_cli = AppGroup("import", help="Balances brought from another loyalty app.")
export_cli = AppGroup("export", help="A shop's members or ledger as CSV, streamed.")


def _config() -> Config:
    return current_app.config["LOYALTY"]  # type: ignore[no-any-return]


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Bring the schema to REVISION (default: head)."""
    migrations.upgrade(engine_for(current_app), revision)
    click.echo(f"database at {revision}")


@demo_cli.command("connect")
def demo_connect() -> None:
    """Give the demo shop an Admin API token for the local Shopify stand-in (bin/dev starts it)."""
    config = _config()
    if not demo.is_local_standin(config.shopify_admin_origin):
        raise click.ClickException("SHOPIFY_ADMIN_ORIGIN must name the local Shopify stand-in (http://127.0.0.1:PORT)")
    with sessionmaker_for(current_app).begin() as session:
        demo.connect_to_standin(demo.seed(session, config.shopify_api_secret).shop, config)
    click.echo(f"{demo.DEMO_SHOP} talks to the Shopify stand-in at {config.shopify_admin_origin}")


@demo_cli.command("seed")
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object.")
@click.option("--customers", "members", default=0, type=click.IntRange(min=0),
              help="Also create N members (Shopify ids 2000001..) for load tests.")
def demo_seed(as_json: bool, members: int) -> None:
    """Create the demo shop if missing and print its details."""
    with sessionmaker_for(current_app).begin() as session:
        seeded = demo.seed(session, _config().shopify_api_secret, members=members)
        details = _demo_details(session, seeded)
    if as_json:
        click.echo(json.dumps(details))
        return
    click.echo(f"shop:              {details['shop']}")
    click.echo(f"api key:           {details['api_key']}")
    click.echo(f"read-only api key: {details['read_only_api_key']}")
    for rule in details["earning_rules"]:
        state = "active" if rule["is_active"] else "inactive"
        click.echo(f"rule {rule['id']}  {rule['action']} ({rule['category']}, {rule['points_to_give']} points, "
                   f"{state})")


# Members made by `demo member` are Shopify customers 9000001, 9000002, … (the seed's are 1001…1003,
# the load-test members of `demo seed --customers` 2000001…).
VISITOR_ID_BASE = 9_000_000
VISITOR_RULE = "follow_on_instagram"


@demo_cli.command("member")
@click.option("--curl", "api_url", default=None, metavar="URL",
              help="Print a curl line that awards the new member a rule through the API at URL instead.")
def demo_member(api_url: str | None) -> None:
    """Enrol a fresh member in the demo shop (seeding it if missing) and print their email."""
    with sessionmaker_for(current_app).begin() as session:
        seeded = demo.seed(session, _config().shopify_api_secret)
        member = enrolment.enrol(session, seeded.shop, _next_visitor(session, seeded.shop))
        assert member is not None and member.email  # a new Shopify id: never redacted
        rule = session.scalars(select(EarningRule).where(EarningRule.shop_id == seeded.shop.id,
                                                         EarningRule.action == VISITOR_RULE)).one()
        email, rule_id, rule_name = member.email, rule.id, rule.name
    if api_url is None:
        click.echo(email)
        return
    click.echo(f"""Award "{rule_name}" to {email}, a new demo member:
  curl -sS -X POST {api_url.rstrip("/")}/v1/earning-rules/{rule_id}/award \\
    -H 'Authorization: {seeded.api_key}' -H 'Content-Type: application/json' \\
    -d '{{"customer_identifier": "{email}"}}'""")


def _next_visitor(session: Session, shop: Shop) -> enrolment.ShopifyCustomer:
    """The Shopify customer of the demo member after the last one."""
    taken = session.scalars(select(Customer.shopify_customer_id).where(
        Customer.shop_id == shop.id, Customer.shopify_customer_id.like(f"{str(VISITOR_ID_BASE)[0]}%")))
    number = max((int(shopify_id) for shopify_id in taken), default=VISITOR_ID_BASE) - VISITOR_ID_BASE + 1
    return enrolment.ShopifyCustomer(id=str(VISITOR_ID_BASE + number), email=f"visitor-{number}@example.com",
                                     first_name="Visitor", last_name=str(number))


def _demo_details(session: Session, seeded: demo.DemoShop) -> dict[str, Any]:
    shop = seeded.shop
    rules = session.scalars(select(EarningRule).where(EarningRule.shop_id == shop.id).order_by(EarningRule.id))
    customers = session.scalars(
        select(Customer)
        .where(Customer.shop_id == shop.id,
               Customer.shopify_customer_id.in_([c["shopify_customer_id"] for c in demo.CUSTOMERS]))
        .order_by(Customer.shopify_customer_id)
    )
    return {
        "shop": shop.domain,
        "api_key": seeded.api_key,
        "read_only_api_key": seeded.read_only_api_key,
        "vip_tiers": [
            {"id": t.id, "name": t.name, "points_required": t.points_required,
             "points_multiplier": float(t.points_multiplier)}
            for t in program_tiers.tiers(session, shop.id)
        ],
        "earning_rules": [
            {"id": r.id, "name": r.name, "action": r.action, "category": r.category,
             "points_to_give": r.points_to_give, "is_active": r.is_active, "approval_time": r.approval_time}
            for r in rules
        ],
        "rewards": [
            {"id": r.id, "name": r.name, "discount_type": r.discount_type, "points_cost": r.points_cost,
             "reward_type": r.reward_type, "vip_tier": r.vip_tier.name if r.vip_tier else None,
             "pricing": r.pricing, "is_active": r.is_active}
            for r in rewards(session, shop.id, include_inactive=True)
        ],
        "customers": [
            {"shopify_customer_id": c.shopify_customer_id, "email": c.email, "loyalty_status": c.loyalty_status,
             "vip_tier": c.vip_tier.name if c.vip_tier else None}
            for c in customers
        ],
    }


@keys_cli.command("create")
@click.argument("shop_domain")
@click.option("--read-only", is_flag=True, help="The key may only GET.")
@click.option("--name", default="", help="A label to recognise the key by.")
@click.option("--rate-limit", type=click.IntRange(min=1), default=None,
              help="Requests per second this key may make (default: API_RATE_LIMIT).")
def keys_create(shop_domain: str, read_only: bool, name: str, rate_limit: int | None) -> None:
    """Print a new API key for SHOP_DOMAIN (shown this once only)."""
    with sessionmaker_for(current_app).begin() as session:
        shop = get_shop(session, shop_domain)
        if shop is None:
            raise click.ClickException(f"no shop {shop_domain}")
        issued = api_keys.issue_key(session, shop, read_only=read_only, name=name, rate_limit=rate_limit)
    click.echo(issued.raw)


@keys_cli.command("revoke")
@click.argument("key_prefix")
def keys_revoke(key_prefix: str) -> None:
    """Revoke the live key that starts with KEY_PREFIX."""
    try:
        with sessionmaker_for(current_app).begin() as session:
            key = api_keys.revoke_by_prefix(session, key_prefix)
            click.echo(f"revoked {key.prefix}")
    except DomainError as error:
        raise click.ClickException(error.detail) from None


@shops_cli.command("install")
@click.argument("shop_domain")
@click.option("--access-token", required=True, help="The Admin API access token of a custom app.")
@click.option("--shop-id", default=None,
              help="The shop's Shopify id (the N of gid://shopify/Shop/N); read through the Admin API when omitted.")
def shops_install(shop_domain: str, access_token: str, shop_id: str | None) -> None:
    """Register SHOP_DOMAIN by hand, with its default program if it has none."""
    try:
        install = installs.manual_install(shop_domain, access_token, shop_id)
        if install.shopify_shop_id is None:
            install = dataclasses.replace(install, shopify_shop_id=_read_shop_id(install))
        with sessionmaker_for(current_app).begin() as session:
            shop = installs.install_with_access_token(session, install, _config())
            click.echo(f"installed {shop.domain} (Shopify shop {shop.shopify_shop_id})")
    except DomainError as error:
        raise click.ClickException(error.detail) from None


def _read_shop_id(install: installs.ManualInstall) -> str:
    """The shop's id through the Admin API with the given token, before anything is written."""
    with httpx.Client() as http:
        client = GraphQLClient(http, graphql_url(_config(), install.domain), lambda: install.access_token, None)
        try:
            return shopify_shop_id(client)
        except (DeliveryError, httpx.HTTPError, LookupError, TypeError, ValueError) as error:
            raise click.ClickException(
                f"Could not read the id of {install.domain} through the Admin API ({error}); "
                "give it with --shop-id") from None


@webhooks_cli.command("refused")
@click.option("--shop", "shop_domain", default=None, help="Only this shop's deliveries.")
def webhooks_refused(shop_domain: str | None) -> None:
    """List refused deliveries, newest first: received time, shop, topic, webhook id, reason."""
    with sessionmaker_for(current_app)() as session:
        rows = webhook_deliveries.refused_deliveries(session, shop_domain)
    if not rows:
        click.echo("No refused deliveries")
    for row in rows:
        click.echo(f"{isoformat_z(row.received_at)}\t{row.shop_domain}\t{row.topic}\t{row.webhook_id}\t"
                   f"{row.refused_reason}")


@secrets_cli.command("reencrypt")
def secrets_reencrypt() -> None:
    """Rewrite every stored secret under DATA_ENCRYPTION_KEY; then DATA_ENCRYPTION_KEY_PREVIOUS can go."""
    rewritten = 0
    sessions = sessionmaker_for(current_app)
    with sessions() as session:
        shop_ids = session.scalars(select(Shop.id)).all()
    for shop_id in shop_ids:
        # A shop's rows locked in a transaction of their own, so a token refresh running now is neither lost
        # nor overwritten with an older value; each lock names its shop (one shard on Citus).
        with sessions.begin() as session:
            for model, shop_column, columns in ENCRYPTED_COLUMNS:
                locked = (select(model).where(shop_column == shop_id).with_for_update(of=model)
                          .execution_options(populate_existing=True))
                for row in session.scalars(locked):
                    for column in columns:
                        if (ciphertext := getattr(row, column)) is not None:
                            setattr(row, column, crypto.reencrypt(ciphertext, _config()))
                            rewritten += 1
    click.echo(f"{rewritten} secrets under the current key")


@ledger_cli.command("audit")
@click.option("--shop", "shop_domain", default=None, help="Only this shop's customers.")
def ledger_audit(shop_domain: str | None) -> None:
    """Print every customer whose balances disagree with their ledger entries; exit 1 if any."""
    with sessionmaker_for(current_app)() as session:
        shop_id = None
        if shop_domain is not None:
            shop = get_shop(session, shop_domain)
            if shop is None:
                raise click.ClickException(f"Shop '{shop_domain}' not found")
            shop_id = shop.id
        found = audit.disagreements(session, shop_id)
        if not found:
            click.echo(f"all {audit.customers_audited(session, shop_id)} customers agree")
            return
        domains = {shop_id: domain for shop_id, domain in session.execute(
            select(Shop.id, Shop.domain).where(Shop.id.in_({d.shop_id for d in found})))}
    for d in found:
        click.echo(f"{domains[d.shop_id]}\t{d.customer_id}\tbalance {d.current_points} (entries "
                   f"{d.approved_points}, open lots {d.open_lot_points})\t"
                   f"lifetime {d.lifetime_points} (earned {d.earned_points})\t"
                   f"redeemed {d.redeemed_points} (redemptions {d.redemption_points})")
    click.echo(f"{len(found)} customers disagree with the ledger", err=True)
    raise SystemExit(1)


@import_cli.command("points")
@click.argument("shop_domain")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--dry-run", is_flag=True, help="Report what each row would do; write nothing.")
@click.option("--format", "format_name", type=click.Choice(sorted(points_import.FORMATS)), default=None,
              help="The export's format; detected from the header when not given.")
def import_points(shop_domain: str, file: TextIO, dry_run: bool, format_name: str | None) -> None:
    """Post each customer's balance from FILE (a Smile, LoyaltyLion or generic email,points CSV) as an
    opening balance, once; rows with errors are reported by line and skipped."""
    tally = points_import.Tally()
    with sessionmaker_for(current_app)() as session:
        shop = get_shop(session, shop_domain)
        if shop is None:
            raise click.ClickException(f"Shop '{shop_domain}' not found")
        try:
            for batch in points_import.import_batches(session, shop, file, format_name=format_name,
                                                      dry_run=dry_run):
                for row in batch:
                    tally.add(row)
                    if not row.ok:
                        click.echo(f"line {row.line}: {row.outcome}", err=True)
                    elif dry_run:
                        click.echo(f"line {row.line}: {row.customer}: {row.outcome} {row.points} points")
                # One transaction per batch: a run stopped half-way keeps what it posted, and the next
                # run of the file takes those rows as already imported.
                if dry_run:
                    session.rollback()
                else:
                    session.commit()
        except DomainError as error:
            raise click.ClickException(error.detail) from None
    verb = "would import" if dry_run else "imported"
    click.echo(f"{tally.imported} balances {verb} ({tally.points} points); {tally.already_imported} already "
               f"imported; {tally.no_points} with no points; {len(tally.errors)} rows skipped with errors")


@export_cli.command("members")
@click.argument("shop_domain")
def export_members(shop_domain: str) -> None:
    """Print SHOP_DOMAIN's members and their balances as CSV."""
    _write_csv(shop_domain, csv_export.member_rows)


@export_cli.command("ledger")
@click.argument("shop_domain")
def export_ledger(shop_domain: str) -> None:
    """Print SHOP_DOMAIN's ledger entries as CSV."""
    _write_csv(shop_domain, csv_export.ledger_rows)


def _write_csv(shop_domain: str, rows: Callable[[Session, str], Iterable[tuple[object, ...]]]) -> None:
    with sessionmaker_for(current_app)() as session:
        shop = get_shop(session, shop_domain)
        if shop is None:
            raise click.ClickException(f"Shop '{shop_domain}' not found")
        writer = csv.writer(sys.stdout, lineterminator="\n")
        for row in rows(session, shop.id):
            writer.writerow(row)


def register(app: Flask) -> None:
    from shopify_app.jobs.commands import COMMANDS

    for group in (db_cli, demo_cli, keys_cli, shops_cli, webhooks_cli, secrets_cli, ledger_cli, import_cli, export_cli,
                  *COMMANDS):
        app.cli.add_command(group)
