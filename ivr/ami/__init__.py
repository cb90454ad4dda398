"""The Asterisk Manager Interface: messages (message.py) and an asyncio client (client.py)."""

from ivr.ami.client import AmiClient
from ivr.ami.message import Message, action

__all__ = ["AmiClient", "Message", "action"]
