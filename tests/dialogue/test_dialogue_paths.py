"""The conversation logic, driven with typed answers (the same parsers as a call, no phone).

The real-call versions of these paths are in test_dialogue_calls.py; these cover every branch
quickly, including the ones a simulated resident rarely takes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ivr.calls.store import DatabaseWriter
from ivr.db import Database
from ivr.db.models import Answer, Attempt, Colour, FlagKind, Household, StatusChange, Turn
from ivr.dialogue import Dialogue, DialogueResult, TextChannel, TurnRecord
from ivr.dialogue.channel import Heard
from ivr.dialogue.results import ResultWriter
from ivr.households.generate import generate_neighbourhood
from ivr.script import load_script, load_script_text
from ivr.understanding import Asked, IntentMatch, understand
from ivr.understanding.learned import LEARNED_CONFIDENCE

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
CHECKIN = load_script(SCRIPTS / "temperature_checkin.yaml")
NOTICE = load_script(SCRIPTS / "mask_notice.yaml")
VALUES = {"committee": "Sunny Garden", "building": "12", "unit": "1", "room": "301",
          "street": "Riverside", "name": "", "masks": 5, "pickup_place": "the office",
          "pickup_window": "on Tuesday"}  # fmt: skip


class Recorder:
    def __init__(self) -> None:
        self.turns: list[TurnRecord] = []
        self.answers: list[tuple[str, Any, bool]] = []
        self.ended: DialogueResult | None = None

    def on_turn(self, turn: TurnRecord) -> None:
        self.turns.append(turn)

    def on_answer(self, field: str, value: Any, confidence: float, unclear: bool) -> None:
        self.answers.append((field, value, unclear))

    def on_end(self, result: DialogueResult) -> None:
        self.ended = result


async def converse(
    script, answers: list[str], *, staff: bool = False
) -> tuple[DialogueResult, Recorder, list[str]]:  # type: ignore[no-untyped-def]
    said: list[str] = []
    replies = iter(answers)

    async def ask(expect: str) -> str | None:
        return next(replies, None)

    recorder = Recorder()
    channel = TextChannel(ask, said.append, staff_available=staff)
    result = await Dialogue(script, VALUES, channel, recorder).run()
    return result, recorder, said


async def test_normal_check_in() -> None:
    result, recorder, said = await converse(CHECKIN, ["thirty six point six", "yes", "no", "no"])
    assert result.outcome == "completed"
    assert result.answers == {"temperature": 36.6, "went_out": False, "symptoms": False}
    assert any("I heard thirty six point six degrees" in s for s in said)
    assert recorder.ended is result
    assert [t.seq for t in recorder.turns] == list(range(1, len(recorder.turns) + 1))
    assert all(t.turn_ms is not None for t in recorder.turns if t.heard_text)


async def test_fahrenheit_is_read_back_as_said_and_stored_in_celsius() -> None:
    result, _, said = await converse(
        CHECKIN, ["ninety eight point six fahrenheit", "yes", "no", "no"]
    )
    assert result.answers["temperature"] == 37.0
    assert any("ninety eight point six Fahrenheit" in s for s in said)


async def test_rejected_read_back_asks_again_and_stores_the_correction() -> None:
    result, _, said = await converse(CHECKIN, ["37.9", "no", "36.8", "yes", "no", "no"])
    assert result.answers["temperature"] == 36.8
    assert any("Let's try again" in s for s in said)


async def test_a_bound_is_asked_again_not_stored() -> None:
    result, _, said = await converse(
        CHECKIN, ["just under thirty eight", "thirty seven point eight", "yes", "no", "no"]
    )
    assert result.answers["temperature"] == 37.8
    assert not any("thirty eight degrees" in s for s in said)


async def test_never_confirmed_is_unclear_not_a_guess() -> None:
    result, _, _ = await converse(CHECKIN, ["37.9", "no", "38.1", "no", "37.4", "no", "no", "no"])
    assert result.answers["temperature"] == "unclear"


async def test_hold_on_is_waited_for_without_asking_again() -> None:
    """ "Hold on, let me get the thermometer": the robot says it will wait and listens on,
    longer, without asking again (it used to say "Sorry, I did not understand" and ask)."""
    result, recorder, said = await converse(
        CHECKIN, ["Hold on, let me get the thermometer.", "thirty six point six", "yes", "no", "no"]
    )
    assert result.outcome == "completed"
    assert result.answers == {"temperature": 36.6, "went_out": False, "symptoms": False}
    asked = [s for s in said if "temperature" in s.lower() and s.startswith("robot:")]
    assert len(asked) == 1, said  # the question once: no reprompt
    assert "robot: Of course, take your time." in said
    assert [t.event for t in recorder.turns if t.step == "temperature"][:2] == ["wait", "answer"]
    # asked to wait over and over, it asks the question again in the end
    stalled, _, said = await converse(CHECKIN, ["hang on"] * 4 + ["36.6", "yes", "no", "no"])
    assert stalled.answers["temperature"] == 36.6
    assert said.count("robot: Of course, take your time.") == 2


async def test_repeat_and_who_is_calling_cost_no_try() -> None:
    result, recorder, said = await converse(
        CHECKIN, ["say that again", "who is this", "pardon?", "36.5", "yes", "no", "no"]
    )
    assert result.answers["temperature"] == 36.5
    assert sum(s.startswith("robot: What is your temperature") for s in said) == 4
    assert any("automated call" in s for s in said)
    assert {"intent:repeat", "intent:who_is_calling"} <= {t.event for t in recorder.turns}


async def test_each_question_gives_its_own_phrases_their_meaning() -> None:
    # "I'm fine" is a sure no to "any symptoms?"; "I'm not feeling well" a yes, where to
    # "did you go out?" it says nothing and is asked again.
    well, _, _ = await converse(CHECKIN, ["36.6", "yes", "just to the shops", "I'm fine"])
    assert well.answers == {"temperature": 36.6, "went_out": True, "symptoms": False}
    unwell, _, said = await converse(
        CHECKIN, ["36.6", "yes", "I'm not feeling well", "no", "I'm not feeling well"]
    )
    assert unwell.answers == {"temperature": 36.6, "went_out": False, "symptoms": True}
    assert (
        sum(s.startswith("robot: Sorry, I did not understand. Did you go out") for s in said) == 1
    )


async def test_keypad_is_offered_on_the_last_try() -> None:
    result, _, said = await converse(CHECKIN, ["", "mumble", "365#", "1", "2", "1"])
    assert result.answers == {"temperature": 36.5, "went_out": False, "symptoms": True}
    assert any("did not hear anything" in s for s in said)
    assert any("Please key in your temperature" in s for s in said)


async def test_silent_resident_ends_the_call_unclear() -> None:
    result, recorder, said = await converse(CHECKIN, [""] * 12)
    assert result.outcome == "unclear"
    assert result.answers == {"temperature": "unclear", "went_out": "unclear"}
    assert ("temperature", None, True) in recorder.answers
    assert said[-2].startswith("robot: Sorry, I could not understand")


async def test_opt_out_needs_a_yes() -> None:
    kept, _, _ = await converse(CHECKIN, ["stop calling me", "no", "36.6", "yes", "no", "no"])
    assert kept.outcome == "completed" and not kept.opted_out
    gone, _, said = await converse(CHECKIN, ["36.6", "yes", "stop calling me", "yes"])
    assert gone.outcome == "opted_out" and gone.opted_out
    assert gone.answers == {"temperature": 36.6}
    assert said[-2] == "robot: We will not call you again. Goodbye."


class HypothesesHeardMore(TextChannel):
    """Answers as typed, but with an intent that only another hypothesis of the recogniser
    carried (on a call: "No." chosen, "No. No. No." among the n-best, once an opt-out)."""

    def __init__(self, answers: list[str], also: str, said: list[str]) -> None:
        replies = iter(answers)

        async def ask(expect: str) -> str | None:
            return next(replies, None)

        super().__init__(ask, said.append)
        self.also = IntentMatch(also, 0.95)  # type: ignore[arg-type]

    async def listen(
        self, expect: str, asked: Asked | None = None, *, patience_s: float | None = None
    ) -> Heard:
        heard = await super().listen(expect, asked)
        if heard.kind == "speech" and heard.intent is None:
            heard.intent = self.also
        return heard


@pytest.mark.parametrize("also", ["opt_out", "human"])
async def test_a_clear_answer_wins_over_an_intent_in_other_hypotheses(also: str) -> None:
    said: list[str] = []
    channel = HypothesesHeardMore(["36.6", "yes", "no", "no"], also, said)
    result = await Dialogue(CHECKIN, VALUES, channel, Recorder()).run()
    assert result.outcome == "completed" and not result.opted_out and result.human is None
    assert result.answers == {"temperature": 36.6, "went_out": False, "symptoms": False}


async def test_no_to_the_opt_out_question_is_no_whatever_else_was_heard() -> None:
    said: list[str] = []
    # "stop calling me" says it in words; the "no" that follows carries the opt-out only in
    # the other hypotheses: the household stays
    channel = HypothesesHeardMore(
        ["stop calling me", "no", "36.6", "yes", "no", "no"], "opt_out", said
    )
    result = await Dialogue(CHECKIN, VALUES, channel, Recorder()).run()
    assert not result.opted_out and result.outcome == "completed"


async def test_a_person_asked_for_in_learned_words_alone_is_asked_about_first() -> None:
    # no rule names "nobody real to chat with?"; the learned word weights read a request for
    # a person, which ends the call (a transfer or a call back): so the robot asks first
    text = "nobody real to chat with?"
    read = understand("intent", text)
    assert isinstance(read, IntentMatch) and read.confidence == LEARNED_CONFIDENCE
    kept, _, said = await converse(CHECKIN, [text, "no", "36.6", "yes", "no", "no"])
    assert kept.outcome == "completed" and kept.human is None
    assert kept.answers == {"temperature": 36.6, "went_out": False, "symptoms": False}
    assert "robot: Would you like to speak to a member of staff? Please say yes or no." in said
    moved, _, _ = await converse(CHECKIN, [text, "yes"], staff=True)
    assert moved.outcome == "transferred" and moved.human == "transferred"
    # a request the rules read is acted on at once, as before
    ruled, _, said = await converse(CHECKIN, ["I want to speak to someone"], staff=True)
    assert ruled.outcome == "transferred" and not any("Would you like" in s for s in said)


async def test_a_learned_request_never_wins_over_an_answer() -> None:
    # a sure yes whose other words the learned weights take for a request for a person
    text = "yes, a proper staff person would sort this"
    read = understand("intent", text)
    assert isinstance(read, IntentMatch) and read.intent == "human"
    result, _, _ = await converse(CHECKIN, ["36.6", "yes", text, "no"])
    assert result.human is None and result.answers["went_out"] is True


async def test_asking_for_a_person() -> None:
    callback, _, said = await converse(CHECKIN, ["can I talk to a real person"])
    assert callback.outcome == "callback" and callback.human == "callback"
    assert any("call you back" in s for s in said)
    moved, _, said = await converse(CHECKIN, ["I want to speak to someone"], staff=True)
    assert moved.outcome == "transferred" and moved.human == "transferred"
    assert any("connecting you to a member of staff" in s for s in said)


async def test_hang_up_keeps_what_was_said() -> None:
    result, recorder, _ = await converse(CHECKIN, ["36.6", "yes", "/hangup"])
    assert result.outcome == "incomplete"
    assert result.answers == {"temperature": 36.6}
    assert recorder.turns[-1].event == "hangup"


async def test_mask_notice_repeats_until_heard_and_cannot_loop_forever() -> None:
    heard, _, said = await converse(NOTICE, ["no", "yes"])
    assert heard.outcome == "completed" and heard.answers == {"notice_heard": True}
    assert sum("Your reservation for 5 masks succeeded" in s for s in said) == 2
    stuck, _, said = await converse(NOTICE, ["no"] * 10)
    assert stuck.outcome == "unclear"
    assert sum("Your reservation for 5 masks succeeded" in s for s in said) <= 4
    # "please" is a weak yes, but here it belongs to the request: the notice is read again
    repeat, _, said = await converse(NOTICE, ["Repeat, please.", "Got it, thanks."])
    assert repeat.outcome == "completed" and repeat.answers == {"notice_heard": True}
    assert sum("Your reservation for 5 masks succeeded" in s for s in said) == 2
    # to "did you hear ...?" declining a repeat says yes; not catching it says no
    again, _, said = await converse(
        NOTICE, ["I didn't catch the time", "No need to repeat, thanks"]
    )
    assert again.outcome == "completed" and again.answers == {"notice_heard": True}
    assert sum("Your reservation for 5 masks succeeded" in s for s in said) == 2


async def test_barge_in_during_a_say_step_is_heard() -> None:
    """A say step cut short by the resident asks what they wanted, then says it again."""

    class Barging(TextChannel):
        first = True

        async def say(self, prompt, *, interruptible=True):  # type: ignore[no-untyped-def]
            result = await super().say(prompt, interruptible=interruptible)
            if self.first and prompt.id == "notice":
                self.first = False
                result.barged_in, result.completed = True, False
            return result

    replies = iter(["who is calling?", "yes"])

    async def ask(expect: str) -> str | None:
        return next(replies, None)

    said: list[str] = []
    result = await Dialogue(NOTICE, VALUES, Barging(ask, said.append)).run()
    assert result.outcome == "completed"
    assert sum("Your reservation" in s for s in said) == 2
    assert any("automated call" in s for s in said)


# -- results written to the household database ------------------------------------------------

STATUS_SCRIPT = """\
name: status_rules
start: temperature
steps:
  temperature:
    ask: "Your temperature?"
    expect: temperature
    store: temperature
    next: bye
  bye:
    say: "Bye."
    end: completed
rules:
  - when: temperature >= 37.3
    flag: fever
    detail: "temperature {temperature}"
    status: orange
    reason: "fever reported on a check-in call"
"""


async def test_results_reach_the_household(db: Database) -> None:
    script = load_script_text(STATUS_SCRIPT, "status_rules.yaml")
    with db.session() as session:
        world = generate_neighbourhood(session, households=1, buildings=1, seed=3)
        household = world.households[0]
        attempt = Attempt(number=household.phones[0], household_id=household.id)
        session.add(attempt)
        session.flush()
        attempt_id = attempt.id
        session.get(Household, household.id).status = Colour.GREEN
    writer = DatabaseWriter(db)
    events = ResultWriter(writer, script, attempt_id=attempt_id, household_id=household.id,
                          campaign_id=None, number=household.phones[0])  # fmt: skip
    replies = iter(["thirty eight point two"])

    async def ask(expect: str) -> str | None:
        return next(replies, None)

    result = await Dialogue(script, VALUES, TextChannel(ask, lambda _: None), events).run()
    await writer.close()
    assert result.answers == {"temperature": 38.2}
    with db.session() as session:
        row = session.get(Household, household.id)
        assert row.status is Colour.ORANGE and row.flagged
        assert row.fields["temperature"] == 38.2 and row.fields["last_call_outcome"] == "completed"
        change = session.scalars(select(StatusChange).where(
            StatusChange.household_id == household.id, StatusChange.attempt_id == attempt_id
        )).one()  # fmt: skip
        assert (change.from_status, change.to_status) == (Colour.GREEN, Colour.ORANGE)
        assert change.reason == "fever reported on a check-in call"
        answer = session.scalars(select(Answer).where(Answer.attempt_id == attempt_id)).one()
        assert (answer.field, answer.value, answer.unclear) == ("temperature", 38.2, False)
        turns = session.scalars(select(Turn).where(Turn.attempt_id == attempt_id)).all()
        assert [t.heard_text for t in turns if t.heard_text] == ["thirty eight point two"]
        from ivr.db.models import Flag

        flag = session.scalars(select(Flag).where(Flag.household_id == household.id)).one()
        assert flag.kind is FlagKind.FEVER and flag.detail == "temperature 38.2"


@pytest.mark.parametrize("answers", [["no"], ["yes", "yes"]])
async def test_every_path_ends_with_an_outcome(answers: list[str]) -> None:
    result, _, _ = await converse(NOTICE, answers)
    assert result.outcome in {"completed", "unclear", "incomplete"}
