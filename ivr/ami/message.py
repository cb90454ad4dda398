"""AMI messages: encode and decode side by side, so they cannot drift apart.

On the wire an AMI message is lines of ``Key: Value`` ended by CRLF, the message ended by an
empty line. A key may repeat (``Variable`` on Originate), so a message is an ordered list of
pairs. Every value is checked before it is encoded: a CR or LF would end the header early and
let the rest be read as a new header or a new action (header injection).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from ivr.errors import AmiError, InputError

EOL = b"\r\n"
END = b"\r\n\r\n"
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
_VARIABLE_NAME = re.compile(r"_{0,2}[A-Za-z][A-Za-z0-9_]{0,63}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_VALUE = 1024


class AmiValueError(InputError, AmiError):
    """A value refused before anything is sent to Asterisk."""


def check_value(key: str, value: str) -> str:
    if not isinstance(value, str):
        value = str(value)
    if _CONTROL.search(value):
        raise AmiValueError(f"AMI header {key!r}: value contains a control character (CR, LF, ...)")
    if len(value) > MAX_VALUE:
        raise AmiValueError(f"AMI header {key!r}: value longer than {MAX_VALUE} characters")
    return value


def check_variable(name: str, value: str) -> str:
    """``NAME=value`` for an Originate ``Variable`` header."""
    if not _VARIABLE_NAME.fullmatch(name):
        raise AmiValueError(f"channel variable name {name!r} is not a valid name")
    value = check_value(f"Variable {name}", value)
    if "," in value:
        # Asterisk splits a Variable header on commas: "A=1,B=2" would set B too
        raise AmiValueError(f"channel variable {name}: value must not contain a comma")
    return f"{name}={value}"


@dataclass
class Message:
    """One AMI message: an action we send, or a response or event we receive."""

    headers: list[tuple[str, str]] = field(default_factory=list)

    # -- reading ----------------------------------------------------------------------------

    def get(self, key: str, default: str | None = None) -> str | None:
        lowered = key.lower()
        for k, v in self.headers:
            if k.lower() == lowered:
                return v
        return default

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def get_all(self, key: str) -> list[str]:
        lowered = key.lower()
        return [v for k, v in self.headers if k.lower() == lowered]

    @property
    def event(self) -> str | None:
        return self.get("Event")

    @property
    def response(self) -> str | None:
        return self.get("Response")

    @property
    def action_id(self) -> str | None:
        return self.get("ActionID")

    @property
    def is_success(self) -> bool:
        return (self.response or "").lower() in ("success", "goodbye")

    def as_dict(self) -> dict[str, str]:
        """Headers as a dict (the last of a repeated key wins)."""
        return {k: v for k, v in self.headers}

    # -- wire format ------------------------------------------------------------------------

    def encode(self) -> bytes:
        lines = []
        for key, value in self.headers:
            if not _KEY.fullmatch(key):
                raise AmiValueError(f"AMI header name {key!r} is not valid")
            lines.append(f"{key}: {check_value(key, value)}")
        return ("\r\n".join(lines)).encode("utf-8") + END

    @classmethod
    def decode(cls, block: bytes) -> Message:
        """Parse one message (without or with its terminating empty line)."""
        text = block.decode("utf-8", errors="replace")
        headers: list[tuple[str, str]] = []
        for line in text.split("\r\n"):
            if not line:
                continue
            key, sep, value = line.partition(":")
            if not sep:
                # Command output of old Asterisk versions comes as bare lines
                headers.append(("Output", line))
                continue
            headers.append((key.strip(), value[1:] if value.startswith(" ") else value))
        return cls(headers)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.headers)


def action(
    name: str,
    fields: Mapping[str, str | int | bool] | Iterable[tuple[str, str]] = (),
    **more: str | int | bool,
) -> Message:
    """Build an action message; booleans become ``true``/``false`` as AMI expects."""
    pairs = list(fields.items()) if isinstance(fields, Mapping) else list(fields)
    pairs += list(more.items())
    headers = [("Action", name)]
    for key, value in pairs:
        if isinstance(value, bool):
            value = "true" if value else "false"
        headers.append((key, str(value)))
    message = Message(headers)
    message.encode()  # validate now, where the caller can see which value was wrong
    return message
