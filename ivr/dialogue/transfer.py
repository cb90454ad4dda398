"""Handing a call to a person: find a free staff phone, move the resident to it.

A staff phone is free when its PJSIP endpoint is registered and not in a call (Asterisk's
``DEVICE_STATE`` is ``NOT_INUSE``). The robot's channel is then redirected (AMI ``Redirect``)
to the ``[ivr-transfer]`` context, which rings the staff phone; the AudioSocket conversation
ends there, the resident stays on the line.
"""

from __future__ import annotations

import logging
import re

from ivr.ami import AmiClient, action
from ivr.calls.tracker import Call
from ivr.errors import AmiError

log = logging.getLogger(__name__)

ENDPOINT = re.compile(r"[A-Za-z0-9_-]{1,40}")


class StaffTransfer:
    def __init__(self, ami: AmiClient, call: Call, endpoints: list[str]) -> None:
        self.ami = ami
        self.call = call
        self.endpoints = [e for e in endpoints if ENDPOINT.fullmatch(e)]
        self._chosen: str | None = None

    async def free(self) -> bool:
        for endpoint in self.endpoints:
            try:
                reply = await self.ami.send(
                    action("Getvar", Variable=f"DEVICE_STATE(PJSIP/{endpoint})"), timeout=3.0
                )
            except AmiError as exc:
                log.warning("cannot read the state of staff phone %s: %s", endpoint, exc)
                continue
            if (reply.get("Value") or "").upper() == "NOT_INUSE":
                self._chosen = endpoint
                return True
        return False

    async def transfer(self) -> bool:
        channel = self.call.channels.get(self.call.uuid)
        if self._chosen is None or not channel:
            return False
        try:
            await self.ami.send(action("Setvar", Channel=channel, Variable="IVR_STAFF",
                                       Value=self._chosen))  # fmt: skip
            await self.ami.send(
                action("Redirect", Channel=channel, Context="ivr-transfer", Exten="s", Priority=1)
            )
        except AmiError as exc:
            log.warning("transfer of call %s failed: %s", self.call.uuid, exc)
            return False
        log.info("call %s transferred to staff phone %s", self.call.uuid, self._chosen)
        return True
