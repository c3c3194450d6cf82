"""The migration to one action vocabulary: sign-up rules the admin stored as ``create_account`` become ``signup``."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from shopify_app import migrations


def test_sign_up_rules_are_migrated_to_the_catalogue_action(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'before.db'}")
    migrations.upgrade(engine, "0006")
    with engine.begin() as connection:
        for rule_id, action in (("rule_a", "create_account"), ("rule_b", "follow_on_instagram")):
            connection.execute(text(
                "INSERT INTO earning_rules (id, shop_id, name, category, action, points_to_give, is_active,"
                " approval_time, created_at, updated_at) VALUES (:id, 'shop_1', 'Rule', 'signup', :action, 10, 1,"
                " 0, '2026-01-01', '2026-01-01')"), {"id": rule_id, "action": action})
    migrations.upgrade(engine)
    with engine.connect() as connection:
        actions = dict(connection.execute(text("SELECT id, action FROM earning_rules")).all())
    assert actions == {"rule_a": "signup", "rule_b": "follow_on_instagram"}
    engine.dispose()
