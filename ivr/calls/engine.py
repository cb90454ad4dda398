"""The call engine: AMI client + AudioSocket server + call tracker + attempt store, on one loop.

``place()`` commits an attempt, sends an asynchronous Originate whose robot side runs the
``ivr-bot`` dialplan context (MixMonitor → AudioSocket to this engine), and returns the
``Call``; its ``ended`` future resolves with the final state. When Asterisk connects the call's
media stream, the engine listens for an answering machine first (``ivr.calls.amd``, when the
call asks for it), then runs the call's ``conversation`` coroutine with the session.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid as uuidlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete

from ivr.ami import AmiClient
from ivr.audiosocket import AudioSocketServer, AudioSocketSession
from ivr.calls.amd import AmdConfig, detect_machine
from ivr.calls.store import AttemptStore, DatabaseWriter
from ivr.calls.tracker import Call, CallTracker, Conversation
from ivr.config import Settings
from ivr.db import Database
from ivr.db.models import Attempt, AttemptState, Recording
from ivr.errors import AmiError
from ivr.phone import dial_string, mask, national_form

log = logging.getLogger(__name__)

RECORDING_SETTLE_S = 2.0  # MixMonitor closes its file just after the hangup


@dataclass(frozen=True)
class RecordingPaths:
    """Where MixMonitor writes (as Asterisk sees it) and where ivr reads the same file."""

    asterisk_dir: str
    host_dir: Path

    @classmethod
    def from_settings(cls, settings: Settings) -> RecordingPaths:
        if settings.recordings_dir is not None:  # the user's Asterisk writes to a shared folder
            return cls(str(settings.recordings_dir), settings.recordings_dir)
        from ivr.pbx.embedded import EmbeddedPbx

        pbx = EmbeddedPbx(settings)
        return cls(pbx.recordings_inside, pbx.host_path(pbx.recordings_inside))

    async def keep(self, recording: str, attempt_id: int, writer: DatabaseWriter) -> None:
        """Once MixMonitor has closed ``recording`` (as Asterisk names it), store it on the
        attempt; a recording that never appears (the call never reached MixMonitor) is not."""
        path = self.host_dir / Path(recording).name
        for _ in range(int(RECORDING_SETTLE_S / 0.1)):
            if path.is_file():
                break
            await asyncio.sleep(0.1)
        if not path.is_file():
            return
        size = path.stat().st_size
        writer.submit(lambda s: s.add(Recording(attempt_id=attempt_id, path=str(path), bytes=size)))


class CallEngine:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        node: str = "",
        audiosocket_port: int | None = None,
        ami: AmiClient | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.node = node or os.uname().nodename
        self.writer = DatabaseWriter(db)
        self.store = AttemptStore(self.writer)
        self.tracker = CallTracker(on_change=self._persist, confirm_end=self._confirm_end)
        self.ami = ami or AmiClient.from_settings(settings, name="ivr-dialer")
        self.audiosocket = AudioSocketServer(
            self._handle_session,
            settings.audiosocket_bind,
            settings.audiosocket_port if audiosocket_port is None else audiosocket_port,
            max_payload=settings.audiosocket_max_payload,
            idle_timeout=settings.audiosocket_idle_timeout_s,
        )
        self.recordings = RecordingPaths.from_settings(settings)
        self._owns_ami = ami is None
        self._unclaimed_sessions = 0

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        self.ami.add_listener(self.tracker.on_event)
        self.ami.add_connection_listener(self.tracker.on_connection)
        await self.audiosocket.start()
        if self._owns_ami:
            await self.ami.start()

    async def close(self) -> None:
        await self.audiosocket.close()
        if self._owns_ami:
            await self.ami.close()
        self.ami.remove_listener(self.tracker.on_event)
        await self.writer.close()

    async def __aenter__(self) -> CallEngine:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def media_address(self) -> str:
        """host:port the dialplan's AudioSocket() connects to for this engine."""
        host = self.settings.audiosocket_address.rsplit(":", 1)[0] or self.audiosocket.host
        return f"{host}:{self.audiosocket.port}"

    @property
    def active_calls(self) -> int:
        return self.tracker.active

    # -- placing calls ----------------------------------------------------------------------

    async def place(self, number: str, **options: Any) -> Call:
        """Prepare (commit) an attempt and Originate it. Returns at once; await ``call.ended``.
        Options as for :meth:`prepare`."""
        return await self.originate(await self.prepare(number, **options))

    async def prepare(
        self,
        number: str,
        *,
        conversation: Conversation,
        context: Any = None,
        household_id: int | None = None,
        campaign_id: int | None = None,
        task_id: int | None = None,
        amd: bool = False,
        record: bool = False,
        dial_template: str | None = None,
        ring_timeout_s: float | None = None,
        kind: str = "robot",
    ) -> Call:
        """Check the dial string and commit the attempt as queued, without calling yet.

        A dialer prepares its next calls while channels are busy, so a channel that frees up
        is refilled by an Originate alone. A number or template that is not a valid dial
        string raises DialStringError before anything is stored or sent.
        """
        channel = dial_string(
            dial_template or self.settings.dial_template,
            national_form(number, self.settings.default_country),
        )
        call_uuid = str(uuidlib.uuid4())
        call = Call(
            uuid=call_uuid,
            number=number,
            channel=channel,
            household_id=household_id,
            campaign_id=campaign_id,
            task_id=task_id,
            amd=amd,
            conversation=conversation,
            context=context,
            action_id=self.ami.new_action_id(),
            ring_timeout_s=ring_timeout_s or self.settings.originate_timeout_s,
        )
        if record:
            call.recording = f"{self.recordings.asterisk_dir}/{call_uuid}.wav"
        call.attempt_id = await self.store.create(
            uuid=call_uuid,
            number=number,
            channel=channel,
            household_id=household_id,
            campaign_id=campaign_id,
            task_id=task_id,
            kind=kind,
            node=self.node,
            state=AttemptState.QUEUED,
        )
        return call

    async def originate(self, call: Call) -> Call:
        """Send the Originate of a prepared call (its attempt row is already committed)."""
        self.tracker.add(call)
        asyncio.get_running_loop().create_task(self._after_end(call))
        self.tracker.move(call, AttemptState.ORIGINATING)
        # Committed before Asterisk hears of the call: after a crash the reconciler deletes an
        # attempt still *queued* as never sent, so one that was sent must not look like that
        # (a kill between the two used to lose a call a resident had answered).
        await self.writer.flush()
        variables = {
            "IVR_ATTEMPT": call.uuid,
            "IVR_MEDIA": self.media_address,
            "IVR_RECORDING": call.recording or "",
        }
        call.originate_sent_at = asyncio.get_running_loop().time()
        try:
            await self.ami.originate(
                call.channel,
                context="ivr-bot",
                variables=variables,
                channel_id=call.uuid,
                # the Local channel's other half gets a derived id, so its events link here too
                other_channel_id=str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, call.uuid))
                if call.channel.startswith("Local/")
                else None,
                timeout_ms=int(1000 * call.ring_timeout_s),
                caller_id=self.settings.caller_id or None,
                action_id=call.action_id,
            )
        except AmiError as exc:
            self.tracker.fail(call, f"Originate not accepted by Asterisk: {exc}")
        log.debug("originated %s to %s", call.uuid, mask(call.number))
        return call

    async def discard(self, call: Call) -> None:
        """Forget a prepared call that will not be placed (the dialer is stopping): the attempt
        never happened, so its row goes."""
        attempt_id = call.attempt_id

        def work(session: Any) -> None:
            session.execute(
                delete(Attempt).where(
                    Attempt.id == attempt_id, Attempt.state == AttemptState.QUEUED
                )
            )

        await self.writer.run(work)

    # -- the media side ---------------------------------------------------------------------

    async def _handle_session(self, session: AudioSocketSession) -> None:
        call = self.tracker.get(session.uuid or "")
        if call is None:
            self._unclaimed_sessions += 1
            log.warning(
                "AudioSocket session %s matches no call in flight; hanging up", session.uuid
            )
            return
        self.tracker.media_started(call)
        try:
            if call.amd:
                verdict = await detect_machine(session, AmdConfig.from_settings(self.settings))
                self.tracker.amd_decided(call, verdict.status, verdict.cause)
                call.greeting_dbfs = verdict.greeting_dbfs
                if verdict.status == "HANGUP":
                    return  # they hung up while we listened for their hello
            if call.conversation is not None:
                result = await call.conversation(call, session)
                call.conversation_result = call.conversation_result or result
        except Exception as exc:
            log.exception("conversation failed on call %s", call.uuid)
            call.conversation_result = f"failed: conversation error: {exc}"
        finally:
            session.hangup()
            self.tracker.media_ended(call)

    async def _confirm_end(self, call: Call) -> None:
        """Asked by the tracker when a call's Hangup is overdue after its media stream closed:
        the robot's channel is hung up if it is still there (nothing more will be said on it);
        either way Asterisk's answer follows any Hangup event it had already sent."""
        if call.final:
            return
        channel = call.channels.get(call.uuid)
        if channel:
            await self.ami.hangup(channel)
        else:
            await self.ami.ping()

    # -- persistence ------------------------------------------------------------------------

    def _persist(self, call: Call, changes: dict[str, Any]) -> None:
        if call.attempt_id is not None:
            self.store.update(call.attempt_id, changes)

    async def _after_end(self, call: Call) -> None:
        await call.ended
        if call.recording is not None and call.attempt_id is not None:
            await self.recordings.keep(call.recording, call.attempt_id, self.writer)
