"""The one seam between the dialer and the dialogue: what talks to a household once its call
is answered.

The dialer asks a :data:`ConversationFactory` for one :class:`CampaignConversation` per
campaign it runs: ``prepare()`` once (fixed prompts), ``prepare_household(id)`` before each
call (its context), and ``conversation`` (the coroutine the call engine runs with the media
stream). The real one is the dialogue runner, ``ivr.dialogue.ScriptRunner``; tests that are
about dialling rather than talking give a short conversation of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ivr.calls.store import DatabaseWriter
from ivr.calls.tracker import Conversation
from ivr.config import Settings
from ivr.script import Script


class CampaignConversation(Protocol):
    conversation: Conversation

    async def prepare(self) -> None: ...

    async def prepare_household(self, household_id: int) -> Any: ...


# (settings, writer, script, campaign id, variables, AMI client for transfers to staff phones)
ConversationFactory = Callable[
    [Settings, DatabaseWriter, Script, int, dict[str, str], Any], CampaignConversation
]


def script_runner(
    settings: Settings,
    writer: DatabaseWriter,
    script: Script,
    campaign_id: int,
    variables: dict[str, str],
    ami: Any = None,
) -> CampaignConversation:
    """The dialogue runner for a campaign's script (the default factory); with ``ami`` it can
    hand a resident who asks for a person to a free staff phone."""
    from ivr.dialogue import ScriptRunner

    return ScriptRunner(  # type: ignore[no-any-return]
        settings, writer, script, campaign_id=campaign_id, variables=variables, ami=ami
    )


class PlayPrompt:
    """A conversation that plays fixed audio and listens briefly (no dialogue): for tests about
    dialling, pacing and recovery, where what is said does not matter."""

    def __init__(self, pcm: bytes = bytes(16000), listen_s: float = 1.0) -> None:
        self.pcm = pcm
        self.listen_s = listen_s

    async def prepare(self) -> None:
        return None

    async def prepare_household(self, household_id: int) -> Any:
        return {"household_id": household_id}

    async def conversation(self, call: Any, session: Any) -> str:
        from ivr.calls.oneshot import PlayAndRecord

        return await PlayAndRecord(self.pcm, None, self.listen_s)(call, session)


def play_prompt_factory(pcm: bytes = bytes(16000), listen_s: float = 1.0) -> ConversationFactory:
    def make(*_: Any, **__: Any) -> CampaignConversation:
        return PlayPrompt(pcm, listen_s)

    return make
