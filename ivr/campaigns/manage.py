"""Creating campaigns and moving them through their states, as staff do from the CLI.

    draft ──start──► running ──pause──► paused ──resume──► running
      └──────────────┴─────cancel──────┴──► cancelled        running ──(all done)──► completed

Everything is checked before anything is stored: the script (every problem with
file:line:column), the variables it is given, windows that never open, schedule times no
window covers, and a target that matches no household.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.campaigns import tasks
from ivr.campaigns.spec import CampaignSpec
from ivr.campaigns.targets import empty_target_message, resolve_target
from ivr.campaigns.windows import CallingWindows
from ivr.config import Settings
from ivr.db.models import Campaign, CampaignState, utcnow
from ivr.errors import InputError
from ivr.script import Script, load_script


def find_campaign(session: Session, ref: str) -> Campaign:
    """A campaign by id or by name; InputError when there is none."""
    query = select(Campaign).where(Campaign.name == ref)
    if ref.isdigit():
        query = select(Campaign).where((Campaign.id == int(ref)) | (Campaign.name == ref))
    found = session.scalars(query).first()
    if found is None:
        raise InputError(f"no campaign {ref!r} (ivr campaign list shows them)")
    return found


def check_spec(spec: CampaignSpec, script: Script, settings: Settings, now: datetime) -> None:
    """The checks that need the script and the clock; InputError saying what and where."""
    unknown = sorted(set(spec.variables) - set(script.variables))
    if unknown:
        known = ", ".join(sorted(script.variables)) or "none"
        raise InputError(
            f"variable {unknown[0]!r} is not used by script {script.name!r} "
            f"(its variables: {known})"
        )
    zone = spec.zone(settings.campaign_timezone)
    windows = CallingWindows(spec.windows, zone)
    if windows.next_open(now) is None:
        described = "; ".join(w.describe() for w in spec.windows)
        raise InputError(f"the calling windows ({described}, {zone.key}) never open")
    if spec.schedule is not None:
        today = now.astimezone(zone).date()
        for at in spec.schedule.times:
            moments = [
                datetime.combine(today + timedelta(days=d), at, tzinfo=zone) for d in range(7)
            ]
            if not any(windows.is_open(m) for m in moments):
                raise InputError(
                    f"schedule time {at:%H:%M} is outside every calling window "
                    f"({'; '.join(w.describe() for w in spec.windows)}): it would always be missed"
                )


def create_campaign(
    session: Session,
    settings: Settings,
    *,
    name: str,
    spec: CampaignSpec,
    created_by: str = "",
    start: bool = False,
    now: datetime | None = None,
) -> Campaign:
    """Check everything, then store the campaign and its tasks in the caller's transaction."""
    now = now or utcnow()
    name = name.strip()
    if not name or len(name) > 120:
        raise InputError("a campaign needs a name of 1 to 120 characters")
    if session.scalars(select(Campaign.id).where(Campaign.name == name)).first() is not None:
        raise InputError(f"a campaign called {name!r} exists already")
    path = Path(spec.script)
    if not path.is_file():
        raise InputError(f"script {spec.script}: no such file")
    script = load_script(path)  # ScriptError listing every problem with file:line:column
    check_spec(spec, script, settings, now)
    household_ids = resolve_target(session, spec.target)
    if not household_ids:
        raise InputError(empty_target_message(session, spec.target))
    source = path.read_text(encoding="utf-8")
    campaign = Campaign(
        name=name,
        script_name=script.name,
        script_source=source,
        script_sha256=hashlib.sha256(source.encode()).hexdigest(),
        spec=spec.model_dump(mode="json"),
        state=CampaignState.RUNNING if start else CampaignState.DRAFT,
        priority=spec.priority,
        created_at=now,
        created_by=created_by,
        updated_at=now,
    )
    session.add(campaign)
    session.flush()
    created = tasks.create_tasks(
        session,
        campaign,
        spec,
        household_ids,
        zone=spec.zone(settings.campaign_timezone),
        now=now,
    )
    if not created:
        raise InputError(
            "every occurrence of the schedule is already over for the target's households"
        )
    return campaign


_MOVES: dict[str, tuple[tuple[CampaignState, ...], CampaignState]] = {
    "start": ((CampaignState.DRAFT,), CampaignState.RUNNING),
    "pause": ((CampaignState.RUNNING,), CampaignState.PAUSED),
    "resume": ((CampaignState.PAUSED,), CampaignState.RUNNING),
    "cancel": (
        (CampaignState.DRAFT, CampaignState.RUNNING, CampaignState.PAUSED),
        CampaignState.CANCELLED,
    ),
}


def change_state(
    session: Session, campaign: Campaign, move: str, now: datetime | None = None
) -> Campaign:
    """``start``, ``pause``, ``resume`` or ``cancel``; InputError when the state forbids it.
    A running ``ivr run`` sees the change within a second; calls in flight finish."""
    allowed, target = _MOVES[move]
    if campaign.state not in allowed:
        raise InputError(
            f"campaign {campaign.name!r} is {campaign.state.value}: it cannot {move} "
            f"(only when {' or '.join(s.value for s in allowed)})"
        )
    now = now or utcnow()
    campaign.state = target
    campaign.updated_at = now
    if target is CampaignState.CANCELLED:
        tasks.cancel_pending(session, campaign.id, now)
    session.flush()
    return campaign
