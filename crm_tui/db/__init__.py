"""Storage: Peewee models, opening a database from a URL, schema versions, concept search.

Nothing here imports Textual.
"""
from crm_tui.db.connection import (
    DatabaseOpenError,
    database,
    describe_url,
    is_postgres,
    is_sqlite,
    open_database,
    close_database,
    write_transaction,
)

__all__ = [
    "DatabaseOpenError",
    "close_database",
    "database",
    "describe_url",
    "is_postgres",
    "is_sqlite",
    "open_database",
    "write_transaction",
]
