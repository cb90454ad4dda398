"""The household database (SQLAlchemy 2; SQLite by default, PostgreSQL by URL)."""

from ivr.db.engine import Database, open_database

__all__ = ["Database", "open_database"]
