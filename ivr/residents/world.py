"""The demo's and the benchmark's residents: a persona for every number of a generated
neighbourhood, in a realistic mix.

Most people pick up and answer normally; some report a fever, symptoms, or going out; some
lines are busy or ring out, some go to voicemail; a few hang up, opt out, answer only by
keypad, ask for a person, or say nothing. What each persona knows is the truth the robot's
stored answers are checked against (the simulator's truth log).
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ivr.ami import AmiClient
from ivr.phone import national_form
from ivr.residents.persona import ASTDB_FAMILY, Persona

# voices the residents speak with: the piper voice and a few espeak-ng accents
VOICES = ("en_US-joe-medium", "espeak:en-us", "espeak:en-us+f2", "espeak:en-gb", "espeak:en-us+m3")
# (kind of resident, share): shares add up to 1
MIX: dict[str, float] = {
    "normal": 0.59,
    "fever": 0.04,
    "went_out": 0.04,
    "symptoms": 0.03,
    "busy": 0.05,
    "no_answer": 0.05,
    "voicemail": 0.05,
    "hang_up": 0.03,
    "opt_out": 0.02,
    "dtmf_only": 0.04,
    "asks_for_person": 0.03,
    "silent": 0.03,
}
PUT_CONCURRENCY = 200  # AMI DBPut actions in flight at once


def _persona(kind: str, rng: random.Random) -> Persona:
    ring = rng.choice((0, 0, 1, 1, 2, 3))
    voice = rng.choice(VOICES)
    temperature = round(rng.uniform(36.1, 37.1), 1)
    base = {"ring_s": ring, "voice": voice, "temperature": temperature}
    if kind == "fever":
        return Persona(
            **{**base, "temperature": round(rng.uniform(37.5, 39.2), 1)}, symptoms=("fever",)
        )
    if kind == "went_out":
        return Persona(**base, went_out=True)
    if kind == "symptoms":
        return Persona(**base, symptoms=("cough",))
    if kind == "busy":
        return Persona(kind="busy", ring_s=0)
    if kind == "no_answer":
        return Persona(kind="noanswer", ring_s=ring)
    if kind == "voicemail":
        return Persona(kind="voicemail", ring_s=ring, voice=voice)
    if kind == "hang_up":
        return Persona(**base, hangup_at=rng.choice((1, 2)))
    if kind == "opt_out":
        return Persona(**base, opt_out_at=1)
    if kind == "dtmf_only":
        return Persona(**base, dtmf_only=True)
    if kind == "asks_for_person":
        return Persona(**base, human_at=1)
    if kind == "silent":
        return Persona(kind="silent", ring_s=ring)
    return Persona(**base, temperature_style=rng.choice(("words", "words", "digits", "half")))


@dataclass(frozen=True)
class Resident:
    number: str  # canonical, as stored on the household
    kind: str  # the MIX entry
    persona: Persona


def residents_for(
    numbers_by_household: Iterable[tuple[int, tuple[str, ...]]], seed: int = 0
) -> list[Resident]:
    """A persona for every number. A household's second number answers when its first does
    not pick up (busy, no answer) half of the time, as a second family member would."""
    rng = random.Random(seed)
    kinds, weights = list(MIX), list(MIX.values())
    found = []
    for _, numbers in numbers_by_household:
        first = rng.choices(kinds, weights)[0]
        for position, number in enumerate(numbers):
            kind = first
            if position and first in ("busy", "no_answer") and rng.random() < 0.5:
                kind = "normal"
            found.append(Resident(number, kind, _persona(kind, rng)))
    return found


def mix_counts(residents: Iterable[Resident]) -> dict[str, int]:
    return dict(Counter(r.kind for r in residents).most_common())


async def install(ami: AmiClient, residents: list[Resident], default_country: str = "CN") -> None:
    """Put every persona into the embedded Asterisk's AstDB, keyed by the number the dialplan
    sees (the national form)."""
    gate = asyncio.Semaphore(PUT_CONCURRENCY)

    async def put(resident: Resident) -> None:
        async with gate:
            key = national_form(resident.number, default_country)
            await ami.db_put(ASTDB_FAMILY, key, resident.persona.encode())

    await asyncio.gather(*(put(r) for r in residents))


def fresh_database(path: Path) -> str:
    """A new, empty SQLite database at ``path`` (an old one there is removed with its WAL
    files): the demo and the benchmark never touch the staff database."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def populate(db: Any, *, households: int, buildings: int, seed: int) -> tuple[Any, list[Resident]]:
    """Generate the neighbourhood into ``db`` and give each of its numbers a resident."""
    from ivr.households.generate import generate_neighbourhood

    with db.session() as session:
        hood = generate_neighbourhood(
            session, households=households, buildings=buildings, seed=seed
        )
    return hood, residents_for(((h.id, h.phones) for h in hood.households), seed)
