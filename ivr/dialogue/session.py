"""A conversation: one script run over one Channel, step by step.

The dialogue asks each question up to its number of tries: the question, then a reprompt that
says what went wrong (nothing heard / not understood), and last the keypad. Numbers are read
back and only stored once the resident agrees. Anywhere, the resident may ask to hear it again,
who is calling, never to be called again (confirmed first: an opt-out is permanent), or for a
person. Every exchange becomes a TurnRecord; every stored answer and the end are reported to
``events`` as they happen, so a call cut off half-way keeps what was already said.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from ivr.dialogue.channel import Channel, Heard, Prompt, SayResult
from ivr.script import conditions
from ivr.script.conditions import UNCLEAR
from ivr.script.model import REPEAT, Script, Step
from ivr.script.render import fill, spoken_digits, spoken_temperature
from ivr.understanding import IntentMatch, Temperature, understand
from ivr.understanding.intents import ACT_CONFIDENCE, asks_to_wait
from ivr.understanding.learned import weak_request

log = logging.getLogger(__name__)

MAX_VISITS = 4  # a step entered more often than this is a loop the resident cannot leave
MAX_REPEATS = 3  # "say that again" per question
MAX_BARGE_INS = 2  # per 'say' step; after that it plays to the end
MAX_WAITS = 2  # "hold on, let me check" per question
WAIT_S = 30.0  # after "hold on": how long the robot listens for the answer to start
SILENT_QUESTIONS = 2  # questions in a row with nothing heard at all: the line is dead quiet
ACCEPT_CONFIDENCE = 0.5  # below this an unconfirmed answer counts as not understood
CLEAR_ANSWER = 0.8  # an answer at least this sure wins over a request in the same words
INCOMPLETE = "incomplete"  # the resident hung up before an ending step


class HungUp(Exception):
    pass


class _Exit(Exception):
    def __init__(self, outcome: str) -> None:
        self.outcome = outcome


class _Goto(Exception):
    """The resident's request leads to another step (a question's ``on: {repeat: ...}``)."""

    def __init__(self, step: str) -> None:
        self.step = step


@dataclass
class TurnRecord:
    seq: int
    step: str
    prompt_id: str
    prompt_text: str
    event: str  # say | answer | no_input | no_match | keys | intent:<name> | confirm
    heard_text: str | None = None
    dtmf: str | None = None
    expect: str | None = None
    value: Any = None
    confidence: float | None = None
    barge_in: bool = False
    barge_in_ms: float | None = None
    asr_ms: float | None = None
    turn_ms: float | None = None  # end of the resident's speech → first frame of the reply
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class DialogueResult:
    outcome: str
    answers: dict[str, Any]
    confidences: dict[str, float]
    turns: list[TurnRecord]
    opted_out: bool = False
    human: str | None = None  # "transferred" | "callback"


class DialogueEvents(Protocol):
    """Where a conversation's results go as they happen (the database, a test, a terminal)."""

    def on_turn(self, turn: TurnRecord) -> None: ...

    def on_answer(self, field: str, value: Any, confidence: float, unclear: bool) -> None: ...

    def on_end(self, result: DialogueResult) -> None: ...


class Dialogue:
    def __init__(
        self,
        script: Script,
        values: dict[str, Any],
        channel: Channel,
        events: DialogueEvents | None = None,
        *,
        status: str | None = None,
    ) -> None:
        self.script = script
        self.values = values
        self.channel = channel
        self.events = events
        self.answers: dict[str, Any] = {}
        self.confidences: dict[str, float] = {}
        self.turns: list[TurnRecord] = []
        self.visits: Counter[str] = Counter()
        self.status = status  # the household's colour, for conditions
        self._pending: TurnRecord | None = None  # written when the robot's next prompt starts
        self._reply_from: float | None = None  # when the resident stopped speaking
        self.opted_out = False
        self.human: str | None = None
        self._silent_questions = 0  # consecutive questions where every try heard nothing

    # -- the run ------------------------------------------------------------------------------

    async def run(self) -> DialogueResult:
        outcome = INCOMPLETE
        try:
            outcome = await self._steps()
        except HungUp:
            outcome = INCOMPLETE
        except _Exit as exit_:
            outcome = exit_.outcome
        finally:
            self._write_pending()
        result = DialogueResult(
            outcome, dict(self.answers), dict(self.confidences), self.turns,
            self.opted_out, self.human,
        )  # fmt: skip
        if self.events is not None:
            self.events.on_end(result)
        return result

    async def _steps(self) -> str:
        name = self.script.start
        while True:
            if self.channel.hung_up:
                raise HungUp
            step = self.script.steps[name]
            self.visits[name] += 1
            if self.visits[name] > MAX_VISITS:
                log.info("step %s entered %d times: leaving the loop", name, self.visits[name])
                if step.on_fail is not None and step.on_fail != name:
                    name = step.on_fail
                    continue
                await self._say_message("unclear", self.script.messages.unclear)
                await self.channel.hang_up()
                return "unclear"
            if step.say is not None:
                await self._say_step(name, step)
                if step.end is not None:
                    await self.channel.hang_up()
                    return step.end
                name = self._next(step, None)
            else:
                try:
                    answered, value = await self._ask(name, step)
                except _Goto as goto:
                    name = goto.step
                    continue
                if self._silent_questions >= SILENT_QUESTIONS:
                    if step.store:
                        self._store(step.store, UNCLEAR, 0.0)
                    await self._say_message("unclear", self.script.messages.unclear)
                    await self.channel.hang_up()
                    return "unclear"
                if step.store:
                    self._store(
                        step.store,
                        value if answered else UNCLEAR,
                        self.confidences.get(step.store, 0.0) if answered else 0.0,
                    )
                if not answered and step.on_fail is not None:
                    name = step.on_fail
                else:
                    name = self._next(step, value if answered else None)

    def _next(self, step: Step, answer: Any) -> str:
        if step.on and answer is not None:
            key = ("yes" if answer else "no") if isinstance(answer, bool) else str(answer)
            if key in step.on:
                return step.on[key]
        if isinstance(step.next, str):
            return step.next
        if isinstance(step.next, list):
            facts = {**self.answers, "status": self.status}
            for branch in step.next:
                if branch.when is None or conditions.parse(branch.when)(facts):
                    return branch.goto
        raise RuntimeError("step has no way on (the checker should have refused the script)")

    def _store(self, name: str, value: Any, confidence: float) -> None:
        self.answers[name] = value
        self.confidences[name] = confidence
        if self.events is not None:
            unclear = value == UNCLEAR
            self.events.on_answer(name, None if unclear else value, confidence, unclear)

    # -- saying ---------------------------------------------------------------------------------

    def _text(self, text: str, **extra: Any) -> str:
        return fill(text, {**self.values, **extra})

    async def _say(
        self, step: str, prompt_id: str, text: str, interruptible: bool = True, event: str = "say"
    ) -> tuple[SayResult, TurnRecord]:
        prompt = Prompt(prompt_id, text)
        result = await self.channel.say(prompt, interruptible=interruptible)
        self._reply_started(result)
        turn = TurnRecord(len(self.turns) + 1, step, prompt_id, text, event)
        turn.barge_in = result.barged_in
        turn.barge_in_ms = result.barge_in_ms
        self.turns.append(turn)
        self._pending = turn
        if self.channel.hung_up:
            raise HungUp
        return result, turn

    async def _say_message(self, name: str, text: str) -> SayResult:
        result, _ = await self._say(name, f"messages.{name}", self._text(text))
        return result

    async def _say_step(self, name: str, step: Step) -> None:
        barge_ins = 0
        while True:
            interruptible = step.interruptible and barge_ins < MAX_BARGE_INS
            result, _ = await self._say(name, name, self._text(step.text), interruptible)
            if not result.barged_in:
                return
            # the resident spoke over the robot: hear what they wanted
            barge_ins += 1
            heard = await self.channel.listen("intent")
            self._hear_turn(name, "intent", heard)
            if heard.kind == "hangup":
                raise HungUp
            await self._handle_intent(name, heard, question=None)
            # whatever it was, the step is said again from the start (they missed its end)

    def _reply_started(self, result: SayResult) -> None:
        """The robot's next prompt just began: the pending turn gets its latency, is written."""
        turn = self._pending
        if turn is not None and self._reply_from is not None and result.first_frame_at:
            turn.turn_ms = round(1000.0 * (result.first_frame_at - self._reply_from), 1)
        self._write_pending()

    def _write_pending(self) -> None:
        turn, self._pending, self._reply_from = self._pending, None, None
        if turn is not None and self.events is not None:
            self.events.on_turn(turn)

    # -- asking ---------------------------------------------------------------------------------

    async def _ask(self, name: str, step: Step) -> tuple[bool, Any]:
        assert step.ask is not None and step.expect is not None
        tries = repeats = waits = 0
        problem: str | None = None
        heard_anything = waiting = False
        while tries < step.tries:
            tries += 1
            if waiting:  # they asked us to wait: the question stands, we listen on, longer
                heard = await self.channel.listen(step.expect, step.asked, patience_s=WAIT_S)
            else:
                prompt_id, text = self._question(name, step, tries, problem)
                await self._say(name, prompt_id, self._text(text), step.interruptible, "ask")
                heard = await self.channel.listen(step.expect, step.asked)
            waiting = False
            turn = self._hear_turn(name, step.expect, heard)
            if heard.kind == "hangup":
                raise HungUp
            heard_anything = heard_anything or heard.kind != "no_input"
            intent = self._acting_intent(heard, turn)
            if intent is not None:
                if intent == REPEAT and REPEAT in step.on:
                    raise _Goto(step.on[REPEAT])  # "repeat" means what led to the question
                if intent == "repeat" and repeats < MAX_REPEATS:
                    repeats += 1
                    tries -= 1
                    problem = None
                    continue
                handled = await self._handle_intent(name, heard, question=step)
                if handled:
                    tries -= 1  # asking who we are or saying "no" to opting out costs no try
                    problem = None
                    continue
            if heard.kind == "speech" and heard.value is None and asks_to_wait(heard.text):
                if waits < MAX_WAITS:  # "hold on, let me get the thermometer"
                    waits += 1
                    tries -= 1
                    waiting = True
                    turn.event = "wait"
                    await self._say_message("wait", self.script.messages.wait)
                    continue
            if heard.kind == "no_input":
                problem = "no_input"
                continue
            if heard.value is None or (heard.confidence < ACCEPT_CONFIDENCE and not step.confirm):
                problem = "no_match"
                turn.event = "no_match"
                continue
            if step.confirm:
                agreed = await self._confirm(name, step, heard)
                if agreed is not True:
                    problem = "rejected"
                    await self._say_message("confirm_no", self.script.messages.confirm_no)
                    continue
            self.confidences[step.store or name] = heard.confidence
            self._silent_questions = 0
            return True, heard.value
        self._silent_questions = 0 if heard_anything else self._silent_questions + 1
        return False, None

    def _question(self, name: str, step: Step, tries: int, problem: str | None) -> tuple[str, str]:
        assert step.ask is not None
        messages = self.script.messages
        if tries == 1 or problem is None or problem == "rejected":
            return name, step.ask
        if tries == step.tries and step.expect in ("yes_no", "temperature", "digits"):
            keypad = step.reprompt.keypad or getattr(messages, f"keypad_{step.expect}")
            return f"{name}#keypad", keypad
        if problem == "no_input":
            return f"{name}#no_input", step.reprompt.no_input or f"{messages.no_input} {step.ask}"
        return f"{name}#no_match", step.reprompt.no_match or f"{messages.no_match} {step.ask}"

    def _hear_turn(self, name: str, expect: str, heard: Heard) -> TurnRecord:
        """The answer belongs to the turn of the prompt that asked it."""
        turn = self._pending
        if turn is None or turn.heard_text is not None:
            self._write_pending()
            turn = TurnRecord(len(self.turns) + 1, name, f"{name}#listen", "", "answer")
            self.turns.append(turn)
            self._pending = turn
        turn.expect = expect
        turn.heard_text = heard.text if heard.kind == "speech" else ""
        turn.dtmf = heard.keys or None
        turn.value = _jsonable(heard.value)
        turn.confidence = round(heard.confidence, 3) if heard.value is not None else None
        turn.asr_ms = heard.asr_ms
        intent = _intent_of(heard)
        turn.event = (
            f"intent:{intent}" if intent else
            {"keys": "keys", "no_input": "no_input", "hangup": "hangup"}.get(heard.kind, "answer")
        )  # fmt: skip
        self._reply_from = heard.speech_end_at  # the reply's first frame gives turn_ms
        return turn

    async def _confirm(self, name: str, step: Step, heard: Heard) -> bool | None:
        spoken = _spoken(heard)
        template = step.confirm if isinstance(step.confirm, str) else self.script.messages.confirm
        text = self._text(template, value=spoken)
        for _ in range(2):
            await self._say(name, f"{name}#confirm", text, True, "confirm")
            reply = await self.channel.listen("yes_no")
            turn = self._hear_turn(name, "yes_no", reply)
            if reply.kind == "hangup":
                raise HungUp
            intent = self._acting_intent(reply, turn)
            if intent in ("opt_out", "human", "who_is_calling"):
                await self._handle_intent(name, reply, question=step)
                continue
            if isinstance(reply.value, bool) and reply.confidence >= ACCEPT_CONFIDENCE:
                return reply.value
        return None

    # -- anywhere: repeat, who is calling, opt out, a person ------------------------------------

    async def _handle_intent(self, name: str, heard: Heard, question: Step | None) -> bool:
        """Act on an intent; True when the conversation goes on with the same question."""
        intent = _intent_of(heard)
        messages = self.script.messages
        if intent == "who_is_calling":
            await self._say_message("who_is_calling", messages.who_is_calling)
            return True
        if intent == "opt_out":
            if await self._opt_out_confirmed(name):
                self.opted_out = True
                await self._say_message("opt_out", messages.opt_out)
                await self.channel.hang_up()
                raise _Exit("opted_out")
            return True
        if intent == "human":
            if not await self._human_confirmed(name, heard):
                return True
            if await self.channel.staff_free():
                await self._say_message("human_transfer", messages.human_transfer)
                if await self.channel.transfer():
                    self.human = "transferred"
                    raise _Exit("transferred")
            self.human = "callback"
            await self._say_message("human_callback", messages.human_callback)
            await self.channel.hang_up()
            raise _Exit("callback")
        return intent == "repeat"

    async def _opt_out_confirmed(self, name: str) -> bool:
        return await self._confirmed(name, "opt_out", self.script.messages.opt_out_confirm)

    async def _human_confirmed(self, name: str, heard: Heard) -> bool:
        """A request for a person read by the learned word weights alone ends the call (a
        transfer, or a call back), so it is asked about first; one the rules read is not."""
        if not weak_request(heard.intent):
            return True
        return await self._confirmed(name, "human", self.script.messages.human_confirm)

    async def _confirmed(self, name: str, intent: str, question: str) -> bool:
        """Whether the resident says yes to ``question``, asked about ``intent``."""
        for _ in range(2):
            await self._say(
                name, f"messages.{intent}_confirm", self._text(question), True, "confirm"
            )
            reply = await self.channel.listen("yes_no")
            self._hear_turn(name, "yes_no", reply)
            if reply.kind == "hangup":
                raise HungUp
            if _intent_of(reply) == intent and self._said(reply, intent):
                return True  # said it again in so many words: that is a yes
            if isinstance(reply.value, bool) and reply.confidence >= ACCEPT_CONFIDENCE:
                return reply.value
        return False  # never act on a guess

    def _acting_intent(self, heard: Heard, turn: TurnRecord) -> str | None:
        """The intent to act on instead of the answer, if any.

        A clear answer wins over a harmless request heard in it (repeat, who is calling), a weak
        one carried by the request's own words ("Repeat, please.") does not; a clear answer
        also wins over an opt-out or a call for a person that the recogniser found only in other
        hypotheses than the words it chose: a resident's "No." was once heard as "No. No. No."
        in one of them and taken for an opt-out.
        """
        intent = _intent_of(heard)
        if intent is None or not _understood(heard):
            return intent
        if weak_request(heard.intent):
            # a request only the learned word weights read (or as weak) is never taken over an
            # answer: "I rang the doctor, didn't go out" answers the question
            turn.event = "keys" if heard.kind == "keys" else "answer"
            return None
        said = self._said(heard, intent)
        if heard.confidence < CLEAR_ANSWER and said:
            # "Repeat, please.": a weak answer ("please" as a yes) carried by the words of the
            # request itself is no answer
            return intent
        if intent in ("repeat", "who_is_calling") or not said:
            turn.event = "keys" if heard.kind == "keys" else "answer"
            return None
        return intent

    def _said(self, heard: Heard, intent: str) -> bool:
        """Whether the words taken as the answer themselves ask for ``intent``."""
        match = understand("intent", heard.text, language=self.script.language)
        return isinstance(match, IntentMatch) and match.intent == intent


def _intent_of(heard: Heard) -> str | None:
    intent = heard.intent
    if intent is None or intent.confidence < ACT_CONFIDENCE:
        return None
    return intent.intent


def _understood(heard: Heard) -> bool:
    return heard.value is not None and heard.confidence >= ACCEPT_CONFIDENCE


def _spoken(heard: Heard) -> str:
    understood = heard.understood
    if isinstance(understood, Temperature):
        return spoken_temperature(understood.celsius, understood.spoken, understood.unit)
    if isinstance(heard.value, float):
        return spoken_temperature(heard.value)
    if isinstance(heard.value, str) and heard.value.isdigit():
        return spoken_digits(heard.value)
    return str(heard.value)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
