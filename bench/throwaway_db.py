"""The throw-away PostgreSQL databases the benchmarks create beside DATABASE_URL's
(``<its name>_<suffix>``, so two people sharing a server do not drop each other's)."""

from __future__ import annotations

import sys
from urllib.parse import urlsplit, urlunsplit


def database_urls(url: str, suffix: str) -> tuple[str, str, str]:
    """(the server's ``postgres`` database, the throw-away one's URL, its name)."""
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        sys.exit(f"DATABASE_URL must point at PostgreSQL (the benchmark creates <name>_{suffix})")
    name = f"{parts.path.strip('/') or 'portal'}_{suffix}"
    return (
        urlunsplit(parts._replace(path="/postgres")),
        urlunsplit(parts._replace(path=f"/{name}")),
        name,
    )


def recreate(admin_url: str, name: str, drop_only: bool = False) -> None:
    """Drop the database (whoever is connected) and, unless ``drop_only``, create it."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')
