"""Several dialer nodes share one PostgreSQL database (design.md section 7): due work is
claimed with ``FOR UPDATE SKIP LOCKED``, so two nodes claiming at the same moment get
different households, and neither waits for the other."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from ivr.campaigns.tasks import claim_due
from ivr.config import load_settings
from ivr.db import Database
from ivr.db.models import utcnow
from tests.campaigns.world import campaign, households, spec


def test_two_nodes_claiming_at_once_share_the_work_without_overlap(
    pg_db: Database, tmp_path: Path
) -> None:
    settings = load_settings(data_dir=tmp_path / "data")  # run from the repository: its scripts
    chosen = households(pg_db, 12)
    campaign_id = campaign(pg_db, settings, "two nodes", spec([h.id for h in chosen]))
    now = utcnow() + timedelta(seconds=5)
    node_a, node_b = pg_db.sessions(), pg_db.sessions()
    with node_a.begin():
        claimed_a = claim_due(node_a, campaign_id, node="a", now=now, limit=8, lease_s=60)
        # node a's transaction is still open, its rows locked: node b must skip them, not
        # wait for them (a plain FOR UPDATE would block here until the lock timeout)
        with node_b.begin():
            node_b.execute(text("SET LOCAL lock_timeout = '3s'"))
            claimed_b = claim_due(node_b, campaign_id, node="b", now=now, limit=8, lease_s=60)
    node_a.close()
    node_b.close()

    households_a = {c.household_id for c in claimed_a}
    households_b = {c.household_id for c in claimed_b}
    assert len(households_a) == 8 and len(households_b) == 4
    assert not households_a & households_b
    assert households_a | households_b == {h.id for h in chosen}
    with pg_db.session() as session:  # all leased: nothing left for a third claim
        assert claim_due(session, campaign_id, node="c", now=now, limit=8, lease_s=60) == []
