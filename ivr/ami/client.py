"""An asyncio client for the Asterisk Manager Interface.

One TCP connection, one read task. Actions are correlated with their responses by ActionID;
events go to listeners, which must not block (they record state or put into a queue). When the
connection drops (Asterisk restarted, network), pending actions fail with AmiConnectionError,
connection listeners hear about it, and the client reconnects with exponential backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ivr.ami.message import END, Message, action, check_variable
from ivr.errors import AmiConnectionError, AmiError, AmiTimeout

log = logging.getLogger(__name__)

EventListener = Callable[[Message], None]
ConnectionListener = Callable[[bool], None]
READ_LIMIT = 1 << 20  # a long Command output or event list must not overflow the reader
KEEPALIVE_S = 20.0


@dataclass
class _Pending:
    future: asyncio.Future[Message]
    events: list[Message] | None = None  # collecting an event list
    done: asyncio.Future[list[Message]] | None = None


@dataclass
class AmiStats:
    connects: int = 0
    disconnects: int = 0
    events: int = 0
    actions: int = 0
    last_connected_at: float | None = None
    counts: dict[str, int] = field(default_factory=dict)


class AmiClient:
    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        secret: str,
        *,
        connect_timeout: float = 5.0,
        action_timeout: float = 10.0,
        reconnect_initial: float = 0.5,
        reconnect_max: float = 10.0,
        name: str = "ivr",
    ) -> None:
        self.host, self.port = host, port
        self._username, self._secret = username, secret
        self.connect_timeout = connect_timeout
        self.action_timeout = action_timeout
        self.reconnect_initial = reconnect_initial
        self.reconnect_max = reconnect_max
        self._ids = itertools.count(1)
        self._prefix = f"{name}-{int(time.time() * 1000) % 10**9}"
        self._pending: dict[str, _Pending] = {}
        self._listeners: list[EventListener] = []
        self._connection_listeners: list[ConnectionListener] = []
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._write_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.connected = asyncio.Event()
        self.banner = ""
        self.stats = AmiStats()

    @classmethod
    def from_settings(cls, settings: object, name: str = "ivr") -> AmiClient:
        """A client for the configured Asterisk (the embedded one's secret is read from it)."""
        from ivr.pbx.credentials import ami_secret

        s = settings
        return cls(
            s.ami_host,  # type: ignore[attr-defined]
            s.ami_port,  # type: ignore[attr-defined]
            s.ami_username,  # type: ignore[attr-defined]
            ami_secret(s),
            connect_timeout=s.ami_connect_timeout_s,  # type: ignore[attr-defined]
            action_timeout=s.ami_action_timeout_s,  # type: ignore[attr-defined]
            reconnect_initial=s.ami_reconnect_initial_s,  # type: ignore[attr-defined]
            reconnect_max=s.ami_reconnect_max_s,  # type: ignore[attr-defined]
            name=name,
        )

    # -- listeners --------------------------------------------------------------------------

    def add_listener(self, listener: EventListener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: EventListener) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def add_connection_listener(self, listener: ConnectionListener) -> None:
        self._connection_listeners.append(listener)

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect and log in once (errors raised here), then keep the connection up."""
        await self._connect()
        self._task = asyncio.create_task(self._run(), name="ami-client")

    async def close(self) -> None:
        self._closing = True
        if self._writer is not None and self.connected.is_set():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.send(action("Logoff")), 1.0)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        self._drop_connection("closed")

    async def __aenter__(self) -> AmiClient:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def wait_connected(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self.connected.wait(), timeout)
        except TimeoutError as exc:
            raise AmiConnectionError(
                f"AMI {self.host}:{self.port} not connected after {timeout} s"
            ) from exc

    async def _connect(self) -> None:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port, limit=READ_LIMIT),
                self.connect_timeout,
            )
        except (OSError, TimeoutError) as exc:
            raise AmiConnectionError(
                f"cannot connect to AMI at {self.host}:{self.port}: {exc or 'timeout'}"
            ) from exc
        try:
            banner = await asyncio.wait_for(reader.readline(), self.connect_timeout)
            if not banner.startswith(b"Asterisk Call Manager"):
                raise AmiConnectionError(
                    f"{self.host}:{self.port} is not an Asterisk Manager Interface "
                    f"(greeting {banner[:40]!r})"
                )
            self.banner = banner.decode().strip()
            login = action("Login", Username=self._username, Secret=self._secret, Events="on")
            login.headers.append(("ActionID", "login"))
            writer.write(login.encode())
            await writer.drain()
            while True:  # events may arrive before the login response
                block = await asyncio.wait_for(reader.readuntil(END), self.connect_timeout)
                reply = Message.decode(block)
                if reply.action_id == "login":
                    break
            if not reply.is_success:
                raise AmiError(
                    f"AMI login as {self._username!r} refused: {reply.get('Message')}",
                    response=reply.as_dict(),
                )
        except BaseException:
            writer.close()
            raise
        self._reader, self._writer = reader, writer
        self.stats.connects += 1
        self.stats.last_connected_at = time.monotonic()
        self.connected.set()
        log.info("AMI connected to %s:%s (%s)", self.host, self.port, self.banner)
        self._notify_connection(True)

    async def _run(self) -> None:
        delay = self.reconnect_initial
        while not self._closing:
            if self._reader is not None:
                reason = await self._read_loop(self._reader)
                self._drop_connection(reason)
                if self._closing:
                    return
                delay = self.reconnect_initial
            await asyncio.sleep(delay)
            try:
                await self._connect()
            except (AmiConnectionError, OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
                log.debug("AMI reconnect failed: %s (next try in %.1f s)", exc, delay)
                delay = min(delay * 2, self.reconnect_max)
            except AmiError as exc:  # refused login: wrong secret after an Asterisk change
                log.error("%s", exc)
                delay = self.reconnect_max

    async def _read_loop(self, reader: asyncio.StreamReader) -> str:
        keepalive = asyncio.create_task(self._keepalive())
        try:
            while True:
                try:
                    block = await reader.readuntil(END)
                except asyncio.IncompleteReadError:
                    return "connection closed by Asterisk"
                except asyncio.LimitOverrunError:
                    return "message longer than the read limit"
                except (ConnectionError, OSError) as exc:
                    return f"connection error: {exc}"
                self._dispatch(Message.decode(block))
                # let what this event started (a freed channel's next Originate) run before the
                # rest of a burst of buffered events is parsed
                await asyncio.sleep(0)
        finally:
            keepalive.cancel()

    async def _keepalive(self) -> None:
        """A half-open TCP connection (Asterisk host gone) is only noticed by writing."""
        while True:
            await asyncio.sleep(KEEPALIVE_S)
            try:
                await self.send(action("Ping"), timeout=5.0)
            except AmiError:
                if self._writer is not None:
                    self._writer.close()
                return

    def _drop_connection(self, reason: str) -> None:
        was_connected = self.connected.is_set()
        self.connected.clear()
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None
        for pending in self._pending.values():
            error = AmiConnectionError(f"AMI connection lost: {reason}")
            if not pending.future.done():
                pending.future.set_exception(error)
            if pending.done is not None and not pending.done.done():
                pending.done.set_exception(error)
        self._pending.clear()
        if was_connected:
            self.stats.disconnects += 1
            if not self._closing:
                log.warning("AMI connection to %s:%s lost: %s", self.host, self.port, reason)
            self._notify_connection(False)

    def _notify_connection(self, up: bool) -> None:
        for listener in list(self._connection_listeners):
            try:
                listener(up)
            except Exception:  # a listener's bug must not stop the client
                log.exception("AMI connection listener failed")

    # -- dispatch ---------------------------------------------------------------------------

    def _dispatch(self, message: Message) -> None:
        action_id = message.action_id
        pending = self._pending.get(action_id) if action_id else None
        if message.response is not None and pending is not None:
            if not pending.future.done():
                pending.future.set_result(message)
            if pending.done is None or (message.get("EventList") or "").lower() != "start":
                if pending.done is not None and not pending.done.done():
                    pending.done.set_result([])
                self._pending.pop(action_id, None)  # type: ignore[arg-type]
            return
        if message.event is None:
            return
        if pending is not None and pending.events is not None:
            if (message.get("EventList") or "").lower() == "complete":
                self._pending.pop(action_id, None)  # type: ignore[arg-type]
                if pending.done is not None and not pending.done.done():
                    pending.done.set_result(pending.events)
            else:
                pending.events.append(message)
            return
        self.stats.events += 1
        name = message.event
        self.stats.counts[name] = self.stats.counts.get(name, 0) + 1
        for listener in list(self._listeners):
            try:
                listener(message)
            except Exception:
                log.exception("AMI event listener failed on %s", name)

    # -- actions ----------------------------------------------------------------------------

    def _next_id(self) -> str:
        return f"{self._prefix}-{next(self._ids)}"

    async def _write(self, message: Message) -> None:
        if self._writer is None or not self.connected.is_set():
            raise AmiConnectionError(f"AMI not connected to {self.host}:{self.port}")
        data = message.encode()
        async with self._write_lock:
            self._writer.write(data)
            await self._writer.drain()
        self.stats.actions += 1

    async def send(
        self, message: Message, timeout: float | None = None, *, check: bool = True
    ) -> Message:
        """Send an action; return its response (AmiError on ``Response: Error`` if ``check``)."""
        action_id = message.action_id or self._next_id()
        if message.action_id is None:
            message.headers.append(("ActionID", action_id))
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._pending[action_id] = _Pending(future)
        try:
            await self._write(message)
            response = await asyncio.wait_for(future, timeout or self.action_timeout)
        except TimeoutError as exc:
            raise AmiTimeout(
                f"AMI action {message.get('Action')} got no response in "
                f"{timeout or self.action_timeout} s"
            ) from exc
        finally:
            if not future.done() or future.cancelled():
                self._pending.pop(action_id, None)
        if check and not response.is_success:
            raise AmiError(
                f"AMI action {message.get('Action')} failed: {response.get('Message')}",
                response=response.as_dict(),
            )
        return response

    async def send_list(
        self, message: Message, timeout: float | None = None
    ) -> tuple[Message, list[Message]]:
        """Send an action answered by an event list (``EventList: start`` ... ``Complete``)."""
        action_id = self._next_id()
        message.headers.append(("ActionID", action_id))
        loop = asyncio.get_running_loop()
        pending = _Pending(loop.create_future(), events=[], done=loop.create_future())
        self._pending[action_id] = pending
        try:
            await self._write(message)
            response = await asyncio.wait_for(pending.future, timeout or self.action_timeout)
            if not response.is_success:
                raise AmiError(
                    f"AMI action {message.get('Action')} failed: {response.get('Message')}",
                    response=response.as_dict(),
                )
            assert pending.done is not None
            events = await asyncio.wait_for(pending.done, timeout or self.action_timeout)
        except TimeoutError as exc:
            raise AmiTimeout(f"AMI action {message.get('Action')}: list not complete") from exc
        finally:
            self._pending.pop(action_id, None)
        return response, events

    async def originate(
        self,
        channel: str,
        *,
        context: str,
        exten: str = "s",
        priority: int = 1,
        variables: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        channel_id: str | None = None,
        other_channel_id: str | None = None,
        timeout_ms: int = 30000,
        caller_id: str | None = None,
        action_id: str | None = None,
    ) -> Message:
        """Originate asynchronously: the response says it is queued; the outcome comes later as
        an ``OriginateResponse`` event with the same ActionID. ``channel`` must already be a
        checked dial string (ivr.phone.dial_string)."""
        pairs = variables.items() if isinstance(variables, Mapping) else variables
        headers: list[tuple[str, str]] = [
            ("Channel", channel),
            ("Context", context),
            ("Exten", exten),
            ("Priority", str(priority)),
            ("Timeout", str(timeout_ms)),
            ("Async", "true"),
        ]
        if caller_id:
            headers.append(("CallerID", caller_id))
        if channel_id:
            headers.append(("ChannelId", channel_id))
        if other_channel_id:
            headers.append(("OtherChannelId", other_channel_id))
        headers += [("Variable", check_variable(name, value)) for name, value in pairs]
        if action_id:
            headers.append(("ActionID", action_id))
        return await self.send(action("Originate", headers))

    async def hangup(self, channel: str, cause: int = 16) -> Message:
        return await self.send(action("Hangup", Channel=channel, Cause=cause), check=False)

    async def ping(self) -> Message:
        return await self.send(action("Ping"))

    async def db_put(self, family: str, key: str, value: str) -> None:
        await self.send(action("DBPut", Family=family, Key=key, Val=value))

    async def db_get(self, family: str, key: str) -> str | None:
        try:
            _, events = await self.send_list(action("DBGet", Family=family, Key=key))
        except AmiError as exc:
            if "not found" in str(exc).lower():
                return None
            raise
        for event in events:
            if event.event == "DBGetResponse":
                return event.get("Val")
        return None

    async def db_del(self, family: str, key: str) -> None:
        await self.send(action("DBDel", Family=family, Key=key), check=False)

    async def db_del_tree(self, family: str) -> None:
        await self.send(action("DBDelTree", Family=family), check=False)

    def new_action_id(self) -> str:
        return self._next_id()
