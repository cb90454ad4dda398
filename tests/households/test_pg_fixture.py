from sqlalchemy import text

from ivr.db import Database


def test_any_db_is_migrated(any_db: Database) -> None:
    with any_db.session() as session:
        assert session.execute(text("SELECT count(*) FROM households")).scalar_one() == 0
