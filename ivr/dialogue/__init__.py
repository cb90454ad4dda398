"""Conversations: a script run over a channel (a real call, or typed text)."""

from ivr.dialogue.channel import Channel, Heard, Prompt, SayResult
from ivr.dialogue.runner import HouseholdContext, ScriptRunner
from ivr.dialogue.session import Dialogue, DialogueEvents, DialogueResult, TurnRecord
from ivr.dialogue.text import TextChannel, understand_typed

__all__ = [
    "Channel",
    "Dialogue",
    "DialogueEvents",
    "DialogueResult",
    "Heard",
    "HouseholdContext",
    "Prompt",
    "SayResult",
    "ScriptRunner",
    "TextChannel",
    "TurnRecord",
    "understand_typed",
]
