"""Understanding answers from text and keys: the grammar the recogniser's hypotheses meet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ivr.script import yes_no_questions
from ivr.understanding import IntentMatch, Understood, learned, understand, understand_keys
from ivr.understanding.intents import ACT_CONFIDENCE, asks_to_wait
from ivr.understanding.temperature import may_go_on, says_only_bounds
from ivr.understanding.yes_no import says_neither

SAID = Path(__file__).resolve().parents[2] / "ivr" / "understanding" / "data" / "said.json"
SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
SHIPPED = yes_no_questions(SCRIPTS)  # the shipped scripts' yes/no questions, by step name


def _answer_to(question: str, text: str) -> Understood | None:
    """``text`` read as the answer to a yes/no question of the shipped scripts."""
    asked = SHIPPED[question]
    return understand("yes_no", text, affirm=asked.affirm, deny=asked.deny)


@pytest.mark.parametrize(
    ("text", "celsius"),
    [
        ("thirty seven and a half", 37.5),
        ("ninety eight point six fahrenheit", 37.0),
        ("36.8", 36.8),
        ("thirty six eight", 36.8),
        ("36 point 5 degrees", 36.5),
        ("My temperature is 37.2 degrees Celsius.", 37.2),
        ("It's thirty-eight point one.", 38.1),
        ("a hundred and one point two fahrenheit", 38.4),
        ("thirty seven point nought", 37.0),
        ("99", 37.2),
        ("one oh four", 40.0),
        ("one oh one point two fahrenheit", 38.4),  # digit by digit
        ("三十六点五", 36.5),
        ("36度5", 36.5),
        ("三十七度二", 37.2),
        # thinking aloud inside the reading (it was 36.0, and not understood)
        ("uh, thirty six, um, point six", 36.6),
        ("Uh, thirty six, point, uh, three", 36.3),
    ],
)
def test_temperatures_in_many_phrasings(text: str, celsius: float) -> None:
    result = understand("temperature", text)
    assert result is not None and result.value == celsius
    assert 0.0 < result.confidence <= 1.0


@pytest.mark.parametrize(
    ("text", "celsius", "at_most"),
    [
        ("I can switch to a 100 and 1.5 degrees Fahrenheit.", 38.6, 1.0),
        ("Three-seven point one.", 37.1, 0.8),  # the whole degrees read digit by digit
        ("Thirty-six points and a half.", 36.5, 1.0),
        # the unit written contradicts the number's range: the range wins, with doubt
        ("Thirty-seven point six Fahrenheit.", 37.6, 0.7),
        # as "36度5" is said; it was 36.0, sure, with "and five" left over
        ("Thirty-six degrees and five.", 36.5, 0.7),
        ("is thirty six and five", 36.5, 0.7),  # was 36.0 at 0.855
        ("thirty eight degrees and a half", 38.5, 1.0),  # was 38.0: the half lost
    ],
)
def test_temperatures_as_a_recogniser_writes_them(
    text: str, celsius: float, at_most: float
) -> None:
    result = understand("temperature", text)
    assert result is not None and result.value == celsius
    assert 0.0 < result.confidence <= at_most


@pytest.mark.parametrize(
    "text", ["36 point time", "my temperature is 45", "I feel fine", "twenty", "", "fifty two"]
)
def test_no_temperature_is_guessed(text: str) -> None:
    assert understand("temperature", text) is None


@pytest.mark.parametrize(
    "text",
    [
        "just under thirty eight", "over 38 degrees", "almost thirty-eight", "less than 37",
        "thirty eight or more", "38 degrees Celsius or above", "thirty seven something",
        "a hundred and one plus", "between thirty seven and thirty eight",
        "thirty seven or thirty eight", "37 to 38", "at least 38.5", "不到三十八度",
        "三十八度以上", "三十七到三十八度", "over thirty eight for 2 days now",
        "thirty seven and a bit", "38 and a little over", "anything up to thirty eight",
    ],
)  # fmt: skip
def test_a_bound_or_a_range_is_not_a_reading(text: str) -> None:
    """ "Just under thirty-eight" is not 38.0, and "37 or 38" neither of them: storing one would
    be a guess. Nothing is understood and the question is asked again."""
    assert understand("temperature", text) is None
    assert says_only_bounds(text)


@pytest.mark.parametrize(
    ("text", "celsius"),
    [
        ("over 38 yesterday, today 37.4", 37.4),  # a bound beside a reading: the reading
        ("thirty seven comma two", 37.2),
        # not a range: 6 is no temperature; the digit after "and" is the tenth, 98.6 °F
        ("ninety eight and 6", 37.0),
        ("about thirty seven", 37.0),  # an approximation is what was read
        ("It's come up to thirty seven point eight", 37.8),  # risen to: where it got
        ("it went up to 38.5 last night", 38.5),
    ],
)
def test_readings_beside_bound_words(text: str, celsius: float) -> None:
    result = understand("temperature", text)
    assert result is not None and result.value == celsius
    assert not says_only_bounds(text)


@pytest.mark.parametrize(
    "text",
    [
        # words Whisper made of a temperature it could not hear; each held "are you" or "you
        # did", which matched "who are you" / "what did you say" as sets of words (0.74)
        "like them which are long as it or you can read hard and high.",
        "I'll just tell you how you did are in height.",
        "Where is the committee office exactly?",
    ],
)
def test_words_in_common_are_not_a_request(text: str) -> None:
    assert understand("intent", text) is None


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("hello who are you people", "who_is_calling"),
        ("could you say that one more time", "repeat"),
        ("sorry, what did you say just now?", "repeat"),
        ("I said please stop calling me now", "opt_out"),
    ],
)
def test_a_request_inside_a_longer_answer(text: str, intent: str) -> None:
    result = understand("intent", text)
    assert result is not None and result.value == intent


def test_plausibility_range_is_configurable() -> None:
    assert understand("temperature", "forty one", max_c=40.0) is None
    assert understand("temperature", "forty one", max_c=42.5).value == 41.0


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("Yeah.", True), ("yep", True), ("Sure!", True), ("correct", True), ("That's right.", True),
        ("I did.", True), ("Of course.", True), ("No, I didn't.", False), ("Nope.", False),
        ("Not at all.", False), ("I stayed home.", False), ("no cough", False),
        ("No I did not", False), ("Of course not.", False), ("Yes, no cough.", False),
        ("Righto.", True), ("Go on then.", True), ("We did.", True), ("I'm afraid so.", True),
        ("I've not.", False), ("Nowhere.", False), ("Stayed indoors all day.", False),
        ("Uh uh.", False), ("I'm afraid not.", False), ("We didn't.", False),
        ("No, no problem.", False), ("No problem.", True), ("Got it, thanks.", True),
        ("Yes, no need to repeat.", True), ("I heard it all.", True),
        ("No, I haven't heard it.", False), ("I didn't hear, no.", False),
        # a fifth set of phrasings (dev5), before it was read: 141 of 150 right from the words
        ("Afraid not.", False), ("Haven't set foot outside the door.", False),
        ("Not a step outside, I've been working from home.", False), ("Not a sniffle.", False),
        ("Healthy as a horse.", False), ("I'm feeling perfectly healthy, thanks.", False),
        ("I'm not well at all, I've got a fever.", True), ("Feeling a bit unwell.", True),
        ("I'm not well, so I stayed in.", False), ("No, I'm not well.", False),
    ],
)  # fmt: skip
def test_yes_no(text: str, answer: bool) -> None:
    result = understand("yes_no", text)
    assert result is not None and result.value is answer


@pytest.mark.parametrize(
    "text",
    ["I'm not sure", "maybe", "what's the weather", "", "No idea.",
     # somebody else's going out is no yes (it was one, from "went out")
     "We are all at home, nobody went out.", "Nobody went out today."],
)  # fmt: skip
def test_unsure_or_unrelated_is_not_a_yes_or_no(text: str) -> None:
    assert understand("yes_no", text) is None


def test_the_question_gives_phrases_their_meaning() -> None:
    assert understand("yes_no", "I stayed home", affirm=["stayed home"]).value is True
    assert understand("yes_no", "I went to the market", affirm=["went to the market"]).value


def test_a_question_phrase_wins_over_a_neutral_or_generic_one() -> None:
    # "I'm not well" says neither to most questions; "any symptoms?" makes it a sure yes
    assert understand("yes_no", "I'm not well") is None
    sick = understand("yes_no", "I'm not well", affirm=["I'm not well"], deny=["I'm well"])
    assert sick is not None and (sick.value, sick.confidence) == (True, 1.0)
    # "I'm good" is a weak nothing anywhere else, a sure no to "any symptoms?"
    good = understand("yes_no", "I'm good, thanks", affirm=["not good"], deny=["I'm good"])
    assert good is not None and (good.value, good.confidence) == (False, 1.0)
    # the longest phrase of either side is read first: "not feeling well" is no "feeling well"
    asked = {"affirm": ["not feeling well"], "deny": ["feeling well"]}
    assert understand("yes_no", "I'm not feeling well", **asked).value is True  # type: ignore[arg-type, union-attr]
    assert understand("yes_no", "feeling well today", **asked).value is False  # type: ignore[arg-type, union-attr]


@pytest.mark.parametrize(
    "text",
    [
        "No problem at all.",
        "No problems, thank you.",
        "I feel grand.",
        "Fit as a fiddle.",
        "All good here, mate, no worries.",  # two stock words, each a weak answer of its own
    ],
)
def test_everyday_well_is_a_no_to_the_shipped_symptoms_question(text: str) -> None:
    # "no problem" is a stock "sure" elsewhere; to "any symptoms?" it is a no
    heard = _answer_to("symptoms", text)
    assert heard is not None and heard.value is False, heard


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("Went to the market this morning.", True),
        ("Um, went to the bank. Quick in and out.", True),
        ("No. Well, popped round to my mum's.", None),  # the two disagree: neither, or weak
        ("Went nowhere.", False),
        ("My daughter went to the shop for me.", None),  # someone else's going
    ],
)
def test_a_dropped_subject_is_the_speaker_going_out(text: str, answer: bool | None) -> None:
    heard = _answer_to("went_out", text)
    if answer is None:
        assert heard is None or heard.confidence < 0.5, heard
    else:
        assert heard is not None and heard.value is answer and heard.confidence >= 0.5, heard


@pytest.mark.parametrize(
    ("question", "text", "answer"),
    [
        ("symptoms", "I feel totally fine, thanks.", False),
        ("symptoms", "I'm really well, thank you.", False),
        ("symptoms", "Feeling perfectly well, thank you for asking.", False),
        ("symptoms", "I'm not totally fine.", True),  # had been a sure no, of "I'm not"
        ("went_out", "I'm not fine.", None),  # as "I'm not well": no answer to this one
        ("heard", "Not hear, signal very bad.", False),
        ("heard", "I can't hear you.", False),  # the notice is read again
    ],
)
def test_how_well_one_is_said_more_strongly(question: str, text: str, answer: bool | None) -> None:
    heard = _answer_to(question, text)
    if answer is None:
        assert heard is None, heard
    else:
        assert heard is not None and heard.value is answer and heard.confidence >= 0.8, heard


@pytest.mark.parametrize(
    ("text", "celsius"),
    [
        ("thirty seven point four, wait no, thirty seven point six", 37.6),
        ("It said thirty eight point three, no sorry, thirty eight point six.", 38.6),
        ("thirty six five, no, thirty six six", 36.6),
    ],
)
def test_a_reading_corrected_is_the_correction_read_back(text: str, celsius: float) -> None:
    heard = understand("temperature", text)
    assert heard is not None and heard.value == celsius
    assert heard.confidence < 0.8  # below the read-back line: two readings were said


def test_a_no_negates_a_question_phrase_in_its_own_clause_only() -> None:
    """ "no dry cough" says no cough; in "No, just to the chemist" (Whisper's "No" for an
    "Um") the "no" is an answer of its own, against the question's phrase: read back, never
    a sure no (it had been one at 1.0)."""
    went_out = {"affirm": ["just to the"], "deny": []}
    for text in ("No just to the chemist", "I didn't go just to the chemist"):
        negated = understand("yes_no", text, **went_out)  # type: ignore[arg-type]
        assert negated is None or negated.value is False, text
    split = understand("yes_no", "No, just to the chemist and back.", **went_out)  # type: ignore[arg-type]
    assert split is not None and split.confidence < 0.5
    symptoms = {"affirm": ["dry cough"], "deny": []}
    no_cough = understand("yes_no", "No, no dry cough.", **symptoms)  # type: ignore[arg-type]
    assert no_cough is not None and no_cough.value is False
    heard = understand("yes_no", "No, no, it's clear.", affirm=["clear"])
    assert heard is not None and heard.confidence < 0.5
    # a decimal point is no clause's end
    assert understand("yes_no", "not 36.5 clear", affirm=["clear"]) is None


def test_an_answer_written_twice_counts_once() -> None:
    # Whisper often writes an answer twice; twice a weak "please" is no sure yes
    twice = understand("yes_no", "Repeat, please. Repeat, please.")
    assert (
        twice is not None and twice.confidence == understand("yes_no", "Repeat, please.").confidence
    )  # type: ignore[union-attr]
    assert understand("yes_no", "No. No.").confidence == 1.0  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["Right and right. It's here.", "Okay, okay.", "Right, right."])
def test_a_weak_word_said_over_is_no_surer(text: str) -> None:
    # Whisper's words for "Right as rain, dear." (a no to "any symptoms?") had been a sure yes
    heard = understand("yes_no", text)
    assert heard is not None and heard.value is True and heard.confidence < 0.8, heard
    # two different weak words still add up: "okay, got it" is a sure yes
    assert understand("yes_no", "Okay, got it.").confidence >= 0.8  # type: ignore[union-attr]


def test_says_neither() -> None:
    assert says_neither("I'm not sure") and says_neither("I'm not feeling well")
    assert says_neither("no need to repeat")
    assert not says_neither("no, I'm not sure")  # a no, if a doubtful one
    assert not says_neither("mumble") and not says_neither("")  # nothing said, nothing denied
    assert not says_neither("I'm not well", affirm=["I'm not well"])  # to "any symptoms?"
    # not known because not looked at: its "I haven't" had made a sure no to "any fever?"
    assert says_neither("I haven't checked my temperature.") and says_neither("Hard to say.")
    assert understand("yes_no", "I haven't checked my temperature.") is None
    no = understand("yes_no", "No, I haven't checked.")
    assert no is not None and no.value is False


def test_a_question_phrase_negated_before_it_says_nothing() -> None:
    # a symptom may be named alone in a question's phrases; its negations must not count
    asked = {"affirm": ["cough", "sore throat"], "deny": ["I'm fine"]}
    for text in ("No cough.", "I haven't got a cough.", "No sore throat, no fever.",
                 "I don't have a dry cough."):  # fmt: skip
        heard = understand("yes_no", text, **asked)  # type: ignore[arg-type]
        assert heard is not None and heard.value is False, text
    for text in ("I've had a cough since Monday.", "Sore throat, and a bit of a cough."):
        heard = understand("yes_no", text, **asked)  # type: ignore[arg-type]
        assert heard is not None and (heard.value, heard.confidence) == (True, 1.0), text
    # "just" starts another thought: its cough is no negated one (a mixed answer, asked again)
    mixed = understand("yes_no", "Not really, just a cough.", **asked)  # type: ignore[arg-type]
    assert mixed is not None and mixed.value is True


def test_a_negated_question_phrase_says_nothing() -> None:
    cough = {"affirm": ["a slight cough"], "deny": ["nothing at all"]}
    for text in ("No, not even a slight cough.", "Not a slight cough, no."):
        heard = understand("yes_no", text, **cough)  # type: ignore[arg-type]
        assert heard is not None and heard.value is False, text
        assert heard.confidence == 1.0, text


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Can you repeat that?", "repeat"), ("Sorry, what?", "repeat"),
        ("Could you say that one more time", "repeat"), ("Stop calling me.", "opt_out"),
        ("Please take me off your list", "opt_out"), ("I want to talk to a real person", "human"),
        ("Operator!", "human"), ("Who is this?", "who_is_calling"),
        ("Where are you calling from?", "who_is_calling"),
        # a verb and its object with other words between: cues, not whole example phrases
        ("Huh? What?", "repeat"), ("You're breaking up, could you speak up", "repeat"),
        ("I couldn't follow, go slower", "repeat"), ("Quit ringing this house", "opt_out"),
        ("Please erase my details", "opt_out"), ("I'd rather not be contacted", "opt_out"),
        ("Take this number off your database", "opt_out"),
        ("Can I have a word with your manager", "human"),
        ("I don't want to speak to a machine", "human"), ("Who's that speaking?", "who_is_calling"),
        ("Which department is this?", "who_is_calling"),
        ("Why do you keep calling my house", "who_is_calling"),
        ("What are you ringing for?", "who_is_calling"),
        # key words whose articles were lost in the hearing
        ("is this scam", "who_is_calling"), ("i need human not robot", "human"),
        ("What's the purpose of it?", "who_is_calling"),
        ("Where did you get my number from?", "who_is_calling"),
        ("oh you get my number this", "who_is_calling"),  # "how did" lost
        ("Once more please, I'm a bit deaf", "repeat"), ("I'm hard of hearing", "repeat"),
        # cues for ways of asking found missing in a later set of phrasings (dev3)
        ("Wait, what?", "repeat"), ("You what?", "repeat"),
        ("Could you tell me the times again?", "repeat"), ("Go over that again", "repeat"),
        ("I no longer wish to be contacted", "opt_out"),
        ("I want to be taken off the calling list", "opt_out"),
        ("Could a volunteer ring me back?", "human"), ("Pass me to a real person", "human"),
        ("I want somebody real", "human"), ("Is this legit?", "who_is_calling"),
        ("How do I know this is genuine?", "who_is_calling"),
        ("Whose phone is this?", "who_is_calling"),
        ("Sorry, who did you say you were?", "who_is_calling"),
        ("Is this really the committee?", "who_is_calling"),
        ("Why have you got my details?", "who_is_calling"),
        # and in the set after it (dev4)
        ("You needn't phone us again", "opt_out"), ("Take out my number", "opt_out"),
        ("Agent, please", "human"), ("I'd rather ask a person, not this machine", "human"),
        ("How can I tell this is real?", "who_is_calling"),
        ("Is this the hospital calling?", "who_is_calling"),
        ("How do you know my address?", "who_is_calling"),
        # and in a list written for this check, not from any set (2026-11-27)
        ("Slower, please", "repeat"), ("Is there a person I can talk to?", "human"),
        ("Who gave you my number?", "who_is_calling"), ("Are you a computer?", "who_is_calling"),
        ("Am I talking to a machine?", "who_is_calling"),
        # and in a set written by a helper who saw none of ours (dev7, 2026-11-27): 11 of 100
        ("Sorry love, could you go a bit slower", "repeat"),
        ("I want to be removed from this", "opt_out"),
        ("Cancel these calls for me please", "opt_out"),
        ("I'd rather not get these robot calls anymore", "opt_out"),
        ("Is there someone I can actually talk to?", "human"),
        ("Connect me with the office", "human"), ("Can I talk to whoever's in charge", "human"),
        ("Could I speak to one of the volunteers", "human"),
        ("Get somebody on the line please", "human"),
        ("I have a problem, can a person ring me", "human"),
        ("Why do you need to know?", "who_is_calling"),
    ],
)  # fmt: skip
def test_intents(text: str, intent: str) -> None:
    result = understand("intent", text)
    assert result is not None and result.value == intent


def test_a_half_misheard_is_no_request() -> None:
    # Whisper's words for "thirty nine and a half": "on behalf of" was a question who calls,
    # and the request threw away the head's 39.5
    assert understand("intent", "Okay, now I'm on behalf of the brief.", learned=False) is None
    asked = understand("intent", "Who are you calling on behalf of?")
    assert asked is not None and asked.value == "who_is_calling"


@pytest.mark.parametrize("text", ["Can I get N95 masks instead?", "Are they KN95 or FFP2?"])
def test_a_mask_name_is_no_temperature(text: str) -> None:
    # "N95" had been read as 95 °F (35.0 °C) at 0.85
    assert understand("temperature", text) is None
    assert understand("temperature", "体温36度5").value == 36.5  # type: ignore[union-attr]


def test_temperatures_in_own_words() -> None:
    # 320 readings written by people who had not seen the parser (read since)
    said = json.loads(SAID.read_text("utf-8"))["answers"]
    written = [a for a in said if a["question"] == "temperature"]
    heard = [(t, understand("temperature", t["text"])) for t in written]
    assert [(t["text"], h) for t, h in heard if h is None or h.value != t["label"]] == []


def test_requests_in_own_words() -> None:
    # 1774 requests written by people who had not seen the cues (read since: a regression set)
    written = json.loads(SAID.read_text("utf-8"))["requests"]
    heard = [(r, understand("intent", r["text"])) for r in written]
    missed = [(r["text"], r["label"], h) for r, h in heard if h is None or h.value != r["label"]]
    assert len(missed) <= 11, missed
    # left: "is this a recording or an actual person?" (dev14, added unread; "are you a real
    # person or a computer?" is a question of who calls since 2026-12-08); the 754 requests of
    # 2026-12-07 (blind26-28 and two sets written for training) were added unread too: eight
    # of them missed, "who did you say?" taken for a repeat
    acted_wrongly = [m for m in missed if m[2] is not None and m[2].confidence >= ACT_CONFIDENCE]
    assert len(acted_wrongly) <= 1, acted_wrongly


@pytest.mark.parametrize(
    ("text", "intent"),
    [("Are you a real person or a computer?", "who_is_calling"),
     ("Am I talking to a real person?", "who_is_calling"),
     ("Is this a real person?", "who_is_calling"),
     ("Is there a real person I can talk to?", "human"),
     ("Can I talk to a real person?", "human")],
)  # fmt: skip
def test_asking_if_the_caller_is_a_person_is_asking_who_calls(text: str, intent: str) -> None:
    # the robot's answer is what it is ("an automated call from the committee"); a person is
    # asked for only where one is wanted
    heard = understand("intent", text)
    assert heard is not None and heard.value == intent and heard.confidence >= ACT_CONFIDENCE


def test_not_well_alone_answers_neither_question() -> None:
    # a yes to "any symptoms?", no answer to "did you go out?": asked again, never a sure no
    assert understand("yes_no", "I'm not well.") is None
    sure_no = understand("yes_no", "No, I'm not well.")
    assert sure_no is not None and sure_no.value is False and sure_no.confidence >= 0.8


def test_it_is_answers_only_where_it_ends_a_clause() -> None:
    # Whisper's "It's not clear, it's not clear" for a "not really" had been a yes at 1.0
    for text in ("It's not clear, it's not clear", "It is cold today.", "It is not."):
        assert understand("yes_no", text) is None, text
    bare = understand("yes_no", "It is.")
    assert bare is not None and bare.value is True and bare.confidence < 0.8  # read back
    sure = understand("yes_no", "Yes, it is.")
    assert sure is not None and sure.value is True and sure.confidence >= 0.8
    right = understand("yes_no", "It is right.")
    assert right is not None and right.value is True


@pytest.mark.parametrize(
    "text",
    ["No need to repeat, I got it.", "You don't have to repeat that, thanks.",
     "I don't need you to repeat it.", "Don't say it again, I heard you.",
     "Don't read this number again, please."],
)  # fmt: skip
def test_a_repeat_declined_asks_for_nothing(text: str) -> None:
    heard = understand("intent", text)
    assert heard is None or heard.confidence < 0.5, heard
    assert understand("intent", "No, repeat it.").value == "repeat"  # type: ignore[union-attr]


def test_again_alone_is_weak_evidence_of_a_repeat_request() -> None:
    # opt-outs say "again" too, and it is what survives of a misheard "don't call me again"
    opt_out = understand("intent", "Don't call me again.")
    assert opt_out is not None and opt_out.value == "opt_out" and opt_out.confidence >= 0.8
    misheard = understand("intent", "So, thought will be again.")
    assert misheard is None or misheard.confidence < 0.8
    asked = understand("intent", "Could you say that again?")
    assert asked is not None and asked.value == "repeat" and asked.confidence >= 0.8
    # nor does it doubt a request whose own words explain it
    for text in ("Don't call again.", "Never ring here again.", "Who is this again?"):
        heard = understand("intent", text)
        assert heard is not None and heard.value != "repeat" and heard.confidence >= 0.8, text


@pytest.mark.parametrize(
    "text",
    [
        "Yes, I went to see someone.", "No, but somebody visited.", "Yes, a person came by.",
        "Yes, I went to the staff office.", "No, I didn't talk to anyone.",
        "Yes, I get my masks from the staff.",
    ],
)  # fmt: skip
def test_someone_named_is_not_someone_asked_for(text: str) -> None:
    # answers to "did you go out?": a request for a person here would end the check-in
    assert understand("intent", text) is None


@pytest.mark.parametrize(
    "text",
    [
        "Can I talk to someone?", "I need to speak with the staff", "put me through to a human",
        "connect me to an agent", "get me a person", "a human please",
    ],
)  # fmt: skip
def test_asking_for_a_person(text: str) -> None:
    result = understand("intent", text)
    assert result is not None and result.value == "human"


@pytest.mark.parametrize(
    "text",
    [
        "yes", "no", "thirty six point five", "I stayed home", "uh huh",
        # Whisper repeats a short answer; "no no no" once matched "no more calls" in full and
        # a resident answering no to "did you go out?" was asked to confirm an opt-out
        "No. No. No.", "No. No. No. No. No.", "Yes. Yes. Yes.", "Yeah. Yeah. Yeah. Yeah.",
    ],
)  # fmt: skip
def test_answers_are_not_intents(text: str) -> None:
    assert understand("intent", text) is None


def test_choice_by_words_and_by_position() -> None:
    options = ["Monday morning", "Tuesday afternoon"]
    assert understand("choice", "tuesday please", options=options).value == "Tuesday afternoon"
    assert understand("choice", "the first one", options=options).value == "Monday morning"
    assert understand("choice", "no idea", options=options) is None


@pytest.mark.parametrize(
    ("keys", "expect", "value"),
    [
        ("365#", "temperature", 36.5), ("986#", "temperature", 37.0), ("37#", "temperature", 37.0),
        ("1", "yes_no", True), ("2", "yes_no", False), ("*", "temperature", "repeat"),
        ("0#", "yes_no", "human"), ("123#", "digits", "123"),
    ],
)  # fmt: skip
def test_dtmf(keys: str, expect: str, value: object) -> None:
    result = understand_keys(expect, keys)  # type: ignore[arg-type]
    assert result is not None and result.value == value


def test_implausible_keyed_temperature_is_refused() -> None:
    assert understand_keys("temperature", "12#") is None


@pytest.mark.parametrize(
    ("text", "half_said"),
    [
        ("thirty six", True), ("36.", True), ("It's thirty six", True), ("thirty six point", True),
        ("38 points.", True), ("a hundred and one", True), ("thirty six and", True),
        ("thirty six point five", False), ("36.5", False), ("thirty six degrees", False),
        ("thirty seven and a half", False), ("37.0", False), ("thirty seven point oh", False),
        ("thirty six eight", False), ("98.6 fahrenheit", False), ("under 38", False),
        ("I don't know", False), ("", False),
    ],
)  # fmt: skip
def test_a_reading_that_may_go_on(text: str, half_said: bool) -> None:
    """What the call listens on after ("thirty six ..." may be followed by "point five")."""
    assert may_go_on(text) is half_said


@pytest.mark.parametrize(
    ("text", "wait"),
    [
        ("Hold on, let me get the thermometer.", True), ("Hang on a second", True),
        ("Wait, I'll check.", True), ("One moment please", True), ("Let me see.", True),
        ("Just a sec", True), ("Give me a minute to find it", True), ("um wait", True),
        ("I need to take it first", True),
        ("I'll get it for you", True), ("I'll take my temperature now", True),
        ("thirty six point five", False), ("no", False), ("I waited at home", False),
        ("I'll get back to you", False), ("I'll take care", False),
        ("Wait, what?", True),  # a repeat request first: the dialogue asks what it heard
    ],
)  # fmt: skip
def test_asking_the_robot_to_wait(text: str, wait: bool) -> None:
    assert asks_to_wait(text) is wait


def test_learned_weights_read_requests_they_never_saw() -> None:
    # every fifth example left out of the learning; of those, requests read right and answers
    # (and other talk) left alone (measured 102 of 114 right, 1 wrong, 6 of 159 answers taken)
    examples = learned.examples()
    model = learned.Model([e for i, e in enumerate(examples) if i % 5])
    left_out = [e for i, e in enumerate(examples) if not i % 5]

    def read(text: str) -> str | None:
        posteriors = model.posteriors(text)
        best = max(posteriors, key=posteriors.__getitem__)
        return None if posteriors[best] < learned.MIN_POSTERIOR else best

    requests = [(read(t), label) for t, label in left_out if label != learned.ANSWER]
    answers = [read(t) for t, label in left_out if label == learned.ANSWER]
    assert sum(got == label for got, label in requests) >= 0.85 * len(requests)
    assert sum(got not in (None, learned.ANSWER, label) for got, label in requests) <= 3
    assert sum(got not in (None, learned.ANSWER) for got in answers) <= 0.06 * len(answers)


def test_learned_weights_only_where_no_rule_reads_a_request() -> None:
    ruled = understand("intent", "Can I talk to a real person?")
    assert isinstance(ruled, IntentMatch) and ruled.confidence > learned.LEARNED_CONFIDENCE
    unruled = understand("intent", "nobody real to chat with?")
    assert isinstance(unruled, IntentMatch) and unruled.intent == "human"
    assert unruled.confidence == learned.LEARNED_CONFIDENCE
    assert understand("intent", "nobody real to chat with?", learned=False) is None
    # asking to wait, or declining a repeat, is no request for the learned weights either
    assert understand("intent", "hold on, let me get the thermometer") is None
    assert understand("intent", "you don't have to repeat that, thanks") is None


@pytest.mark.parametrize(
    "text",
    ["I went to talk to the lady at the chemist", "Yes, I had to speak to a nurse at the clinic",
     "No, but the nurse will call me tomorrow"],
)  # fmt: skip
def test_a_person_met_or_expected_is_not_asked_for(text: str) -> None:
    # answers to "did you go out?" that name a person: at most the learned weights' weak
    # reading, which never wins over the answer and is asked about before it ends a call
    heard = understand("intent", text)
    assert heard is None or heard.confidence <= learned.LEARNED_CONFIDENCE, heard
