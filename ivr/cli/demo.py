"""``ivr demo``: the main job end to end on the embedded Asterisk with simulated residents.

Until the campaign engine lands (issue #5) the demo is one real call: the robot reads a mask
notice to a simulated resident, who answers; both sides are printed.
"""

from __future__ import annotations

import asyncio
import time

import typer

from ivr.cli._common import console, emit_json, state

NOTICE = (
    "Hello, this is your neighbourhood committee. Your reservation for five masks succeeded. "
    "Please pick them up at the committee office on Tuesday, from nine to eleven. "
    "Did you hear that?"
)
DEMO_NUMBER = "6001"


def demo(ctx: typer.Context, json: bool = typer.Option(False, "--json")) -> None:
    """Start the embedded Asterisk and call a simulated resident with a mask notice."""
    from ivr.calls.oneshot import call_once
    from ivr.pbx import EmbeddedPbx
    from ivr.residents.persona import ASTDB_FAMILY, Persona
    from ivr.residents.simulator import read_truth
    from ivr.speech import PromptCache, shared_synthesizer

    settings = state(ctx).settings
    status, note = EmbeddedPbx(settings).up()
    console.print(f"Asterisk {status.state} on AMI {status.ami} ({note})")
    pcm = PromptCache(settings.prompt_cache_dir, shared_synthesizer(settings.tts_voice)).get(NOTICE)

    async def run() -> dict[str, object]:
        from ivr.ami import AmiClient

        async with AmiClient.from_settings(settings) as ami:
            await ami.db_put(ASTDB_FAMILY, DEMO_NUMBER, Persona(voice="espeak:en-us+m3").encode())
        result = await call_once(settings, DEMO_NUMBER, pcm, listen_s=6.0)
        return result.as_dict()

    result = asyncio.run(run())
    time.sleep(0.5)  # the simulator writes its side when it hangs up
    lines = read_truth(settings.data_dir / "residents" / "truth.jsonl")
    resident = next((r for r in reversed(lines) if r["number"] == DEMO_NUMBER), {})
    result["resident_heard"] = resident.get("heard", [])
    result["resident_said"] = [s.get("text") or s.get("keys") for s in resident.get("said", [])]
    if json:
        emit_json(result)
        return
    console.print(f"robot said: {NOTICE}", highlight=False)
    console.print(f"resident heard: {' / '.join(result['resident_heard'])}", highlight=False)
    console.print(
        f"resident said: {' / '.join(map(str, result['resident_said']))}", highlight=False
    )
    console.print(f"call: {result['outcome']} ({result['reason']}), {result['duration_s']} s")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
