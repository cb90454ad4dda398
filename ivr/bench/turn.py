"""``ivr bench turn``: how fast the robot answers, on real calls through Asterisk.

N simulated residents are kept on the line at once with the temperature check-in (their calls
start spread over one call's length, as a campaign's are, then each ending call makes room for
the next), ROUNDS × N calls in all. A turn is measured
from the end of the resident's speech (as the endpointer placed it) to the first frame of the
robot's reply; barge-in from the onset of the resident's speech over a prompt to the prompt
stopping (half the residents answer "yes, yes" over the robot's read-back).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from ivr.bench.stats import percentile, rss_mb
from ivr.calls.engine import CallEngine
from ivr.config import Settings
from ivr.db import Database
from ivr.dialogue import ScriptRunner
from ivr.phone import national_form
from ivr.residents.persona import ASTDB_FAMILY, Persona
from ivr.script import load_script

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "temperature_checkin.yaml"
VOICES = ("en_US-joe-medium", "espeak:en-us", "espeak:en-us+m3", "espeak:en-gb")
FIRST_NUMBER = 8100
STAGGER_S = 35.0  # about one check-in call


def persona_for(index: int) -> Persona:
    return Persona(
        temperature=round(36.2 + (index % 9) / 10, 1),
        went_out=index % 5 == 0,
        voice=VOICES[index % len(VOICES)],
        barges_in=index % 2 == 1,
        ring_s=0,
    )


async def run(settings: Settings, db: Database, calls: int, rounds: int = 1) -> dict[str, Any]:
    from ivr.pbx import EmbeddedPbx

    EmbeddedPbx(settings).up()
    script = load_script(SCRIPT)
    async with CallEngine(settings, db, audiosocket_port=0) as engine:
        runner = ScriptRunner(settings, engine.writer, script)
        await runner.prepare()
        context = await runner.context_for(
            {"committee": "Sunny Garden", "building": "7", "room": "402"}
        )
        numbers = [str(FIRST_NUMBER + i) for i in range(calls)]
        for index, number in enumerate(numbers):
            await engine.ami.db_put(
                ASTDB_FAMILY, national_form(number), persona_for(index).encode()
            )
        started = time.perf_counter()
        placed: list[Any] = []
        total = calls * rounds
        free = asyncio.Queue[str]()
        for number in numbers:
            free.put_nowait(number)

        async def one_call() -> None:
            number = await free.get()
            call = await engine.place(number, conversation=runner.conversation, context=context)
            placed.append(call)
            await asyncio.shield(call.ended)
            free.put_nowait(number)

        # a campaign's calls are out of step: the first CALLS start spread over one typical
        # call, then each ends and the next begins, so answers do not all arrive at once
        spread = STAGGER_S / calls if calls > 1 else 0.0
        running = []
        for index in range(total):
            running.append(asyncio.create_task(one_call()))
            if index < calls:
                await asyncio.sleep(spread)
        await asyncio.wait_for(asyncio.gather(*running), 120 + 40 * total)
        wall = time.perf_counter() - started
        stats = dict(engine.audiosocket.stats)
        recognitions = dict(runner.recognizer.stats)
    turn_ms: list[float] = []
    barge_ms: list[float] = []
    asr_ms: list[float] = []
    outcomes: dict[str, int] = {}
    for call in placed:
        outcomes[call.state.value] = outcomes.get(call.state.value, 0) + 1
        result = runner.results.get(call.uuid)
        if result is None:
            continue
        for turn in result.turns:
            if turn.turn_ms is not None:
                turn_ms.append(turn.turn_ms)
            if turn.barge_in_ms is not None:
                barge_ms.append(turn.barge_in_ms)
            if turn.asr_ms:
                asr_ms.append(turn.asr_ms)
    return {
        "calls": calls,
        "rounds": rounds,
        "turns": len(turn_ms),
        "turn_ms_p50": round(percentile(turn_ms, 0.5), 1),
        "turn_ms_p95": round(percentile(turn_ms, 0.95), 1),
        "barge_ins": len(barge_ms),
        "barge_in_ms_p50": round(percentile(barge_ms, 0.5), 1),
        "barge_in_ms_p95": round(percentile(barge_ms, 0.95), 1),
        "unhidden_asr_ms_p95": round(percentile(asr_ms, 0.95), 1),
        # speculative recognitions whose speaker went on cost CPU for nothing
        "recognitions_per_turn": round(recognitions["ran"] / max(len(turn_ms), 1), 2),
        "recognitions_cancelled_before_running": recognitions["cancelled_before_running"],
        "recognitions_abandoned_after_encoding": recognitions["abandoned_after_encoding"],
        "recognitions_read_again_in_views": recognitions["read_again_in_views"],
        "recognitions_read_without_other_encoders": recognitions["read_without_other_encoders"],
        "outcomes": outcomes,
        "wall_s": round(wall, 1),
        "rss_mb": rss_mb(),
        "prompts_rendered_on_demand": runner.prompts.on_demand,
        "audiosocket_late_ticks": stats["late_ticks"],
        "audiosocket_gap_ms_filled": stats["gap_ms_filled"],
    }
