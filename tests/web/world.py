"""A small neighbourhood with two committees, staff of each, a street administrator, a campaign
with calls, turns, answers, flags and real WAV recordings: what the report-view tests look at."""

from __future__ import annotations

import math
import struct
import wave
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from ivr.db import Database
from ivr.db.models import (
    Answer,
    Attempt,
    AttemptState,
    Campaign,
    CampaignState,
    FlagKind,
    Household,
    Recording,
    Role,
    Task,
    TaskState,
    Turn,
    utcnow,
)
from ivr.households.flags import raise_flag
from ivr.households.generate import generate_neighbourhood
from ivr.households.staff import create_staff_user

PASSWORD = "correct horse 42"

RECORDING_SECONDS = 2.0
SAMPLE_RATE = 8000


@dataclass
class World:
    committee_ids: list[int]  # [first, second]
    households: dict[int, list[int]]  # committee id → household ids
    staff: dict[str, int]  # username → id: "admin", "staff1" (first), "staff2" (second)
    recordings: dict[int, int]  # committee id → a recording of a call to one of its households
    recorded_household: dict[int, int]  # committee id → the household of that recording
    campaign_id: int


def write_wav(path: Path, seconds: float = RECORDING_SECONDS) -> None:
    """A 440 Hz tone, 8 kHz 16-bit mono: the format Asterisk's MixMonitor writes."""
    frames = int(seconds * SAMPLE_RATE)
    samples = (int(8000 * math.sin(2 * math.pi * 440 * i / SAMPLE_RATE)) for i in range(frames))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))


def build_world(db: Database, folder: Path) -> World:
    folder.mkdir(parents=True, exist_ok=True)
    with db.session() as session:
        hood = generate_neighbourhood(
            session, households=160, buildings=8, committees=2, seed=7, committee="Lotus"
        )
        first, second = hood.committee_ids
        households: dict[int, list[int]] = {first: [], second: []}
        for h in hood.households:
            households[h.committee_id].append(h.id)
        staff = {
            name: create_staff_user(session, name, PASSWORD, role=role, committee_id=committee,
                                    sip_endpoint=name).id
            for name, role, committee in (
                ("admin", Role.ADMIN, None),
                ("staff1", Role.STAFF, first),
                ("staff2", Role.STAFF, second),
            )
        }

        campaign = Campaign(name="Daily check-in", script_name="checkin", script_source="",
                            script_sha256="0" * 64, spec={}, state=CampaignState.RUNNING)
        session.add(campaign)
        session.flush()
        start = utcnow() - timedelta(hours=5)
        recordings, recorded = {}, {}
        for committee in (first, second):
            for n, household_id in enumerate(households[committee][:30]):
                done = n % 3 != 2
                task = Task(campaign_id=campaign.id, household_id=household_id,
                            state=TaskState.DONE if done else TaskState.EXHAUSTED,
                            attempts_made=1)
                session.add(task)
                session.flush()
                at = start + timedelta(minutes=9 * n)
                attempt = Attempt(
                    task_id=task.id, campaign_id=campaign.id, household_id=household_id,
                    number="+8619900000001", channel="Local/1@residents",
                    state=AttemptState.COMPLETED if done else AttemptState.NO_ANSWER,
                    queued_at=at, originated_at=at,
                    answered_at=at + timedelta(seconds=8) if done else None,
                    ended_at=at + timedelta(seconds=40),
                    duration_s=32.0 if done else None,
                    hangup_cause=16 if done else 19,
                    hangup_cause_text="Normal Clearing" if done else "No answer",
                )
                session.add(attempt)
                session.flush()
                if not done:
                    continue
                session.add_all([
                    Turn(attempt_id=attempt.id, seq=1, step="temperature",
                         prompt_text="What is your temperature today?",
                         heard_text="thirty six point five", expect="temperature", value=36.5,
                         confidence=0.91, barge_in=n == 0, event="answer", started_at=at,
                         asr_ms=120.0, turn_ms=480.0),
                    Turn(attempt_id=attempt.id, seq=2, step="symptoms",
                         prompt_text="Any cough or fever?", heard_text="no", expect="yes_no",
                         value=False, confidence=0.88, event="answer", started_at=at),
                    Answer(household_id=household_id, attempt_id=attempt.id,
                           campaign_id=campaign.id, field="temperature", value=36.5, at=at),
                ])
                if committee not in recordings:
                    path = folder / f"call-{attempt.id}.wav"
                    write_wav(path)
                    rec = Recording(attempt_id=attempt.id, path=str(path),
                                    bytes=path.stat().st_size)
                    session.add(rec)
                    session.flush()
                    recordings[committee] = rec.id
                    recorded[committee] = household_id
            flagged = session.get(Household, households[committee][2])
            assert flagged is not None
            raise_flag(session, flagged, FlagKind.UNREACHABLE, "no answer after 3 attempts",
                       campaign_id=campaign.id)
            fever = session.get(Household, households[committee][4])
            assert fever is not None
            raise_flag(session, fever, FlagKind.FEVER, "38.4 °C", campaign_id=campaign.id)
        return World([first, second], households, staff, recordings, recorded, campaign.id)
