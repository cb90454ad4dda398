"""``ivr script check FILE`` and ``ivr script try FILE``: staff check and rehearse scripts."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path
from typing import Annotated, Optional

import typer

from ivr.cli._common import console, emit_json, fail, state

script_app = typer.Typer(help="Dialogue scripts: check and rehearse.", no_args_is_help=True)

SAMPLE_HOUSEHOLD = {
    "building": "12",
    "unit": "1",
    "room": "301",
    "committee": "Sunny Garden",
    "street": "Riverside Street",
    "name": "",
}


@script_app.command("check")
def check(
    files: Annotated[list[Path], typer.Argument(help="Script files (YAML).")],
    json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Report every problem of each script, with file:line:column; exit 1 if there is one."""
    from ivr.script import check_file

    bad = 0
    for path in files:
        script, problems = check_file(path)
        bad += bool(problems)
        if json:
            emit_json(
                {
                    "file": str(path),
                    "ok": not problems,
                    "problems": [{"where": p.where, "message": p.message} for p in problems],
                }
            )
            continue
        if problems:
            for problem in problems:
                console.print(str(problem), highlight=False, markup=False, soft_wrap=True)
        else:
            assert script is not None
            console.print(f"{path}: ok ({len(script.steps)} steps, outcomes "
                          f"{', '.join(sorted({s.end for s in script.steps.values() if s.end}))})",
                          highlight=False)  # fmt: skip
    if bad:
        raise typer.Exit(1)


@script_app.command("try")
def try_script(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The script to rehearse.")],
    household: Annotated[
        Optional[int], typer.Option("--household", help="Fill placeholders from this household.")  # noqa: UP045
    ] = None,
    var: Annotated[list[str], typer.Option("--var", help="A campaign variable, name=value.")] = [],  # noqa: B006
    audio: Annotated[bool, typer.Option("--audio", help="Play each prompt (sox 'play').")] = False,
    staff_free: Annotated[bool, typer.Option(help="Pretend a staff phone is free.")] = False,
) -> None:
    """Run the dialogue in the terminal: type answers; keys as digits (365#); empty = silence;
    /hangup hangs up. Nobody is called and nothing is stored."""
    from ivr.dialogue import Dialogue, TextChannel
    from ivr.errors import IvrError
    from ivr.script import load_script
    from ivr.script.render import resolve_values

    settings = state(ctx).settings
    script = load_script(file)
    variables = dict(_pair(v) for v in var)
    facts, fields, status = dict(SAMPLE_HOUSEHOLD), {}, None
    if household is not None:
        facts, fields, status = _household(settings, household)
    try:
        values = resolve_values(script, facts, fields, variables)
    except IvrError as exc:
        fail(str(exc))

    async def ask(expect: str) -> str | None:
        try:
            return await asyncio.to_thread(input, f"you ({expect}) > ")
        except EOFError:
            return None

    play = _player(settings, script.voice) if audio else None
    channel = TextChannel(ask, lambda line: console.print(line, highlight=False, markup=False,
                                                          soft_wrap=True),
                          play, staff_available=staff_free)  # fmt: skip
    result = asyncio.run(Dialogue(script, values, channel, status=status).run())
    console.print(f"outcome: {result.outcome}; answers: {result.answers}", highlight=False,
                  markup=False)  # fmt: skip


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        fail(f"--var {text!r}: use name=value")
    return name.strip(), value.strip()


def _household(settings, household_id):  # type: ignore[no-untyped-def]
    from ivr.db import Database
    from ivr.dialogue.runner import _household_facts

    db = Database(settings.database)
    with db.session() as session:
        facts = _household_facts(session, household_id)
    return facts, facts["fields"], facts["status"]


def _player(settings, voice):  # type: ignore[no-untyped-def]
    import tempfile

    from ivr.audio import write_wav
    from ivr.dialogue.prompts import PromptBook

    book = PromptBook(settings, voice)
    command = shutil.which("play") or shutil.which("aplay")
    folder = Path(tempfile.mkdtemp(prefix="ivr-try-"))

    async def play(prompt):  # type: ignore[no-untyped-def]
        path = folder / f"{prompt.id.replace('#', '-').replace('.', '-')}.wav"
        write_wav(path, await book.audio(prompt.text))
        if command is None:
            console.print(f"  (no audio player; prompt written to {path})", highlight=False)
            return
        await asyncio.to_thread(subprocess.run, [command, "-q", str(path)], check=False,
                                capture_output=True)  # fmt: skip

    return play


def register(app: typer.Typer) -> None:
    app.add_typer(script_app, name="script")
