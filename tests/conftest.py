"""Suite-wide fixtures: a PostgreSQL database for integration tests.

Without a reachable server the PostgreSQL tests are skipped with a visible reason, unless
HOTFIX_REQUIRE_POSTGRES=1 (set by .ci/run), which turns that skip into a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

POSTGRES_URL = os.environ.get("HOTFIX_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty schema on the test PostgreSQL server; dropped afterwards."""
    from sqlalchemy import create_engine, text

    try:
        admin = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as e:
        reason = f"PostgreSQL not reachable at {POSTGRES_URL.split('@')[-1]} ({type(e).__name__})"
        if os.environ.get("HOTFIX_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason + " and HOTFIX_REQUIRE_POSTGRES=1")
        pytest.skip(reason)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(text(f'create schema "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()
