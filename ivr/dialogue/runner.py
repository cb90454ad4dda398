"""Running one script over real calls: what a campaign (or ``ivr bench turn``) hands the call
engine as each call's conversation.

    runner = ScriptRunner(settings, engine.writer, script, campaign_id=..., variables={...})
    await runner.prepare()                        # fixed prompts, once
    context = await runner.prepare_household(id)  # placeholders + personal prompts, before dialling
    call = await engine.prepare(number, conversation=runner.conversation, context=context,
                                amd=script.amd, ...)
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, selectinload

from ivr.audio import FRAME_MS
from ivr.audiosocket import Audio, AudioSocketSession, Hangup
from ivr.calls.amd import GreetingEnd, VoiceFrames
from ivr.calls.store import DatabaseWriter
from ivr.calls.tracker import Call
from ivr.config import Settings
from ivr.db.models import Building, Household, Unit
from ivr.dialogue.audio import AudioChannel
from ivr.dialogue.prompts import PromptBook, fixed_texts, household_texts
from ivr.dialogue.results import ResultWriter
from ivr.dialogue.session import Dialogue, DialogueResult
from ivr.errors import IvrError
from ivr.script.model import Script
from ivr.script.render import fill, resolve_values

log = logging.getLogger(__name__)

MACHINE_MESSAGE = "machine_message"
GREETING_END_SILENCE_MS = 1200  # a voicemail greeting (and its beep) is over
GREETING_MAX_S = 15.0
HELLO_WAIT_S = 1.0  # answered calls: how long to wait for a "Hello?" before speaking
HELLO_END_SILENCE_MS = 400
HELLO_MIN_SPEECH_MS = 100
HELLO_MAX_S = 3.0


@dataclass
class HouseholdContext:
    household_id: int | None
    values: dict[str, Any]
    status: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class ScriptRunner:
    def __init__(
        self,
        settings: Settings,
        writer: DatabaseWriter,
        script: Script,
        *,
        campaign_id: int | None = None,
        variables: dict[str, Any] | None = None,
        ami: Any = None,
    ) -> None:
        self.settings = settings
        self.writer = writer
        self.script = script
        self.campaign_id = campaign_id
        self.variables = dict(variables or {})
        self.ami = ami  # for transfers to a staff phone; None: callbacks only
        self.prompts = PromptBook(settings, script.voice)
        self._recognizer: Any = None
        self.results: dict[str, DialogueResult] = {}  # by call uuid, for benchmarks and tests

    @property
    def recognizer(self) -> Any:
        if self._recognizer is None:
            from asr.recognizer import Recognizer

            self._recognizer = Recognizer.shared(self.settings)
        return self._recognizer

    # -- before calls ---------------------------------------------------------------------------

    async def prepare(self) -> int:
        """Render every fixed prompt of the script, load the recognizer; returns how many
        sentences were rendered now (0 when the cache already had them)."""
        rendered = await self.prompts.render_ahead(fixed_texts(self.script))
        await asyncio.get_running_loop().run_in_executor(None, lambda: self.recognizer)
        return rendered

    async def prepare_household(self, household_id: int) -> HouseholdContext:
        """The household's placeholder values, and its personal prompts rendered."""
        facts = await self.writer.run(lambda session: _household_facts(session, household_id))
        values = resolve_values(self.script, facts, facts["fields"], self.variables)
        await self.prompts.render_ahead(household_texts(self.script, values, self.prompts))
        return HouseholdContext(household_id, values, facts["status"])

    async def context_for(self, values: dict[str, Any]) -> HouseholdContext:
        """A context without a household row (``ivr bench turn``), its prompts rendered."""
        context = HouseholdContext(None, resolve_values(self.script, values, {}, self.variables))
        await self.prompts.render_ahead(household_texts(self.script, context.values, self.prompts))
        return context

    # -- the call ---------------------------------------------------------------------------------

    async def conversation(self, call: Call, session: AudioSocketSession) -> str:
        context: HouseholdContext = call.context
        if call.amd and call.amd_status == "MACHINE":
            await self._leave_message(session, context)
            return MACHINE_MESSAGE
        from asr.endpointer import Endpointer

        staff = None
        if self.ami is not None and self.settings.transfer_endpoints:
            from ivr.dialogue.transfer import StaffTransfer

            staff = StaffTransfer(self.ami, call, list(self.settings.transfer_endpoints))
        channel = AudioChannel(
            session, self.prompts, self.recognizer,
            lambda: Endpointer.from_settings(self.settings), staff,
        )  # fmt: skip
        events = None
        if call.attempt_id is not None:
            events = ResultWriter(
                self.writer, self.script, attempt_id=call.attempt_id,
                household_id=context.household_id, campaign_id=self.campaign_id,
                number=call.number, default_country=self.settings.default_country,
            )  # fmt: skip
        greeting_dbfs = call.greeting_dbfs
        if call.amd_status != "HUMAN":
            # AMD says a person only after their hello and 800 ms of silence: nothing to wait for
            hello_dbfs = await _let_them_say_hello(session)
            greeting_dbfs = greeting_dbfs if hello_dbfs is None else hello_dbfs
        if greeting_dbfs is not None:
            channel.heard_caller(greeting_dbfs)  # a quiet "Hello?": a quiet first answer
        dialogue = Dialogue(self.script, context.values, channel, events, status=context.status)
        result = await dialogue.run()
        self.results[call.uuid] = result
        return result.outcome

    async def _leave_message(self, session: AudioSocketSession, context: HouseholdContext) -> None:
        """An answering machine: wait for its greeting (and beep) to end, then the message."""
        greeting = GreetingEnd(end_silence_ms=GREETING_END_SILENCE_MS)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + GREETING_MAX_S
        while loop.time() < deadline:
            try:
                event = await session.next_event(timeout=0.5)
            except TimeoutError:
                continue
            if isinstance(event, Hangup):
                return
            if isinstance(event, Audio) and greeting.push(event.pcm):
                break
        pcm = await self.prompts.audio(fill(self.script.messages.machine, context.values))
        await session.play(pcm, interruptible=False).done


async def _let_them_say_hello(session: AudioSocketSession) -> float | None:
    """People answer with "Hello?": let it end before speaking, or the robot's first words are
    talked over (and cut by barge-in). Nobody speaking within HELLO_WAIT_S: start anyway.
    A voice is what Silero calls one, as for AMD: a quiet hello counts, a noisy line does not
    (a level threshold held the robot silent for 4 s on a line noisier than it). Returns the
    hello's level, voiced RMS in dBFS (None: no hello heard)."""
    voice = VoiceFrames()
    loop = asyncio.get_running_loop()
    started = loop.time()
    speech_ms = silence_ms = 0
    while True:
        waited = loop.time() - started
        in_turn = speech_ms >= HELLO_MIN_SPEECH_MS
        if waited > HELLO_WAIT_S + HELLO_MAX_S or (waited > HELLO_WAIT_S and not in_turn):
            return voice.level_dbfs
        try:
            event = await session.next_event(timeout=0.1)
        except TimeoutError:
            continue
        if isinstance(event, Hangup):
            return None
        if not isinstance(event, Audio):
            continue
        if voice.is_voice(event.pcm):
            speech_ms, silence_ms = speech_ms + FRAME_MS, 0
        elif speech_ms:
            silence_ms += FRAME_MS
            if silence_ms >= HELLO_END_SILENCE_MS:
                if in_turn:
                    return voice.level_dbfs  # they said hello and stopped
                speech_ms = silence_ms = 0  # a click, not a hello


def _household_facts(session: Session, household_id: int) -> dict[str, Any]:
    household = session.get(
        Household, household_id,
        options=[selectinload(Household.unit).selectinload(Unit.building)
                 .selectinload(Building.committee), selectinload(Household.residents)],
    )  # fmt: skip
    if household is None:
        raise IvrError(f"household {household_id} does not exist")
    building = household.unit.building
    committee = building.committee
    return {
        "building": building.name,
        "unit": household.unit.name,
        "room": household.room,
        "committee": committee.name,
        "street": committee.street.name,
        "name": household.residents[0].name if household.residents else "",
        "fields": dict(household.fields or {}),
        "status": household.status.value,
    }
