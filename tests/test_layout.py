"""The domain never commits: no module under shopify_app/loyalty/ opens, commits or nests a transaction.

The job runtime and the views own transactions; a domain function takes a Session and leaves it open.
The import rules (what the domain and the jobs may import) are import-linter contracts in pyproject.toml."""

from __future__ import annotations

import ast
from pathlib import Path

import shopify_app.loyalty

DOMAIN = Path(shopify_app.loyalty.__file__).parent
TRANSACTION_CALLS = frozenset({"commit", "begin", "begin_nested"})


def transaction_calls(source: str) -> list[tuple[int, str]]:
    """(line, method) of each call of ``.commit()``, ``.begin()`` or ``.begin_nested()`` in ``source``,
    whatever it is called on: a Session, a sessionmaker or anything standing for one."""
    return sorted(
        (node.lineno, node.func.attr)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in TRANSACTION_CALLS
    )


def test_the_finder_sees_every_way_of_opening_or_committing() -> None:
    source = "session.commit()\nwith sessions.begin() as s:\n    pass\nwith self.session.begin_nested():\n    pass\n"
    assert transaction_calls(source) == [(1, "commit"), (2, "begin"), (4, "begin_nested")]
    assert transaction_calls("session.flush()\nsession.execute(begin)\n") == []


def test_no_domain_module_commits_or_opens_a_transaction() -> None:
    modules = sorted(DOMAIN.rglob("*.py"))
    assert len(modules) > 20, "the domain's modules were not found"
    found = [f"{path.relative_to(DOMAIN.parent.parent)}:{line}: .{method}()"
             for path in modules for line, method in transaction_calls(path.read_text())]
    assert found == [], "the domain never commits; move the transaction to jobs/ or the view:\n" + "\n".join(found)
