"""The CTC temperature reader's training: reproducible from code, and kept off the held-out."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from asr import ctc, testset, train_ctc


def test_training_uses_no_held_out_voice_or_phrasing() -> None:
    assert not set(train_ctc.TRAIN_BASES) & set(testset.ESPEAK_BASES["heldout"])
    assert not set(train_ctc.TRAIN_VARIANTS) & set(testset.ESPEAK_VARIANTS["heldout"])
    assert not set(train_ctc.TRAIN_PIPER_SCALES) & set(testset.PIPER_LENGTH_SCALES["heldout"])
    voices = train_ctc.training_voices(random.Random(1))
    assert {p[0] for v in voices if (p := testset.espeak_parts(v))} <= set(train_ctc.TRAIN_BASES)
    with_flite = train_ctc.training_voices(random.Random(1), flite=True)
    flite = [v for v in with_flite if v.startswith("flite:")]
    assert abs(len(flite) / len(with_flite) - train_ctc.FLITE_SHARE) < 0.01
    assert {v.split(":")[1] for v in flite} == set(train_ctc.TRAIN_FLITE)  # awb stays unseen
    assert "awb" not in train_ctc.TRAIN_FLITE and not any(v.startswith("flite:") for v in voices)
    # the held-out accents but one may be heard, never with a held-out variant
    accented = train_ctc.training_voices(random.Random(1), accents=train_ctc.ACCENT_BASES)
    parts = [p for v in accented if (p := testset.espeak_parts(v))]
    bases = {base for base, _ in parts}
    assert bases == set(train_ctc.TRAIN_BASES) | set(train_ctc.ACCENT_BASES)
    assert train_ctc.UNHEARD_BASE in testset.ESPEAK_BASES["heldout"]
    assert train_ctc.UNHEARD_BASE not in bases and len(train_ctc.ACCENT_BASES) == 3
    assert not {variant for _, variant in parts} & set(testset.ESPEAK_VARIANTS["heldout"])
    # every accent: West Midlands too, still never with a held-out variant
    every = train_ctc.training_voices(random.Random(1), accents=train_ctc.EVERY_ACCENT_BASES)
    parts = [p for v in every if (p := testset.espeak_parts(v))]
    assert {base for base, _ in parts} == bases | {train_ctc.UNHEARD_BASE}
    assert not {variant for _, variant in parts} & set(testset.ESPEAK_VARIANTS["heldout"])
    texts = train_ctc.training_texts(random.Random(1), 2000)
    # the held-out split's own carriers never appear
    for carrier in ("about", "I measured", "this morning", "I think", "my temperature was"):
        assert not any(carrier in text for text in texts), carrier
    # every kind of number the grammar knows is trained: tenths, halves, Fahrenheit, bare
    assert any("and a half" in t for t in texts) and any("fahrenheit" in t for t in texts)
    assert any(t.split()[-1] in train_ctc.NOT_A_NUMBER[0].split() for t in texts)


@pytest.mark.slow
def test_a_small_head_trains_and_reads(tmp_path: Path) -> None:
    pytest.importorskip("jax")  # the "train" extra; ./run test installs it
    data = train_ctc.build_data(tmp_path, count=48, seed=3)
    out = tmp_path / "head.npz"
    losses = train_ctc.train([data], out, epochs=3, hidden=32, seed=3)
    assert len(losses) == 3 and losses[-1] < losses[0]
    reader = ctc.CtcHead.load(out)
    with np.load(data) as npz:
        first = npz["frames"][: npz["lengths"][0]]
    log_probs = reader.log_probs(first)
    assert log_probs.shape == (len(first), len(ctc.VOCAB))
    assert np.allclose(np.exp(log_probs).sum(axis=1), 1.0, atol=1e-4)
    # going on from it starts where it left off, not from random weights
    more = train_ctc.train([data], tmp_path / "more.npz", epochs=1, hidden=32, seed=4, start=out)
    assert more[0] < losses[0]
    # a head names the encoder whose frames it learned, and goes on only on that encoder's
    assert reader.encoder == ctc.HEAD_ENCODER and reader.dim == first.shape[1] == 512
    with pytest.raises(ValueError, match=r"a head of base's encoder, not tiny\.en's"):
        train_ctc.train([data], tmp_path / "x.npz", epochs=1, hidden=32, seed=4, start=out,
                        encoder="tiny.en")  # fmt: skip


def test_answer_training_shares_no_sentence_with_the_held_out_split() -> None:
    held_out = {
        " ".join(ctc.words_of(text))
        for text, _ in (*testset.YES_NO["heldout"], *testset.INTENT_PHRASES["heldout"])
    }
    pools = (train_ctc.YES_ANSWERS, train_ctc.NO_ANSWERS, train_ctc.REQUESTS,
             train_ctc.OTHER_ANSWERS)  # fmt: skip
    for pool in pools:
        for text in pool:
            assert " ".join(ctc.words_of(text)) not in held_out, text
    texts = train_ctc.answer_texts(random.Random(2), 500)
    assert all(set(ctc.target(t, train_ctc.ANSWER_VOCAB)) != {1} for t in texts)


def test_what_people_said_is_heard_without_the_held_out_sentences() -> None:
    held_out = [
        " ".join(ctc.words_of(text))
        for text, _ in (*testset.YES_NO["heldout"], *testset.INTENT_PHRASES["heldout"])
    ]
    said = (train_ctc.SAID_REQUESTS, train_ctc.SAID_ANSWERS, train_ctc.SAID_OTHER)
    assert all(len(pool) > 300 for pool in said)
    for pool in said:
        for text in pool:
            assert text == train_ctc._spoken(text) and not any(c.isdigit() for c in text)
            # a held-out sentence of two words or more is not even part of one
            assert not any(f" {h} " in f" {text} " for h in held_out if " " in h), text
    # said.json holds "who am I speaking to?" (a helper wrote it); its words are still known
    assert "speaking" in train_ctc.REQUEST_VOCAB and "speaking" not in train_ctc.ANSWER_VOCAB
    assert not any("who am i speaking to" in t for t in train_ctc.SAID_REQUESTS)
    texts = train_ctc.answer_texts(random.Random(3), 400, said=True)
    assert sum(t in train_ctc.SAID_REQUESTS or any(r in t for r in train_ctc.SAID_REQUESTS)
               for t in texts) > 60  # fmt: skip
    # the answers of a seed built before the said pools are the same as they were
    assert train_ctc.answer_texts(random.Random("x"), 3) == [
        "hello no feeling fine nah mate okay", "well i didn't no now", "well no cough okay"
    ]  # fmt: skip


def test_carriers_of_the_readings_people_wrote_and_never_a_held_out_one() -> None:
    carrier = train_ctc._carrier
    assert carrier("The digital one says thirty six point nought") == ("the digital one says", "")
    assert carrier("a hundred and one, in bed all day") == ("", "in bed all day")
    assert carrier("um, thirty seven point... four") == ("um", "")
    assert carrier("I've no idea, sorry") is None and carrier("Oh, a bit high") is None
    carriers = train_ctc.SAID_CARRIERS
    assert all(len(carriers[unit]) > 40 for unit in ("c", "f"))
    for unit, other in (("c", "fahrenheit"), ("f", "celsius")):
        for carrier in carriers[unit]:
            spoken = f" {' '.join(carrier)} "
            assert other not in spoken, carrier
            assert not any(f" {h} " in spoken for h in train_ctc.HELD_OUT_CARRIER_WORDS)
    # the carriers of the held-out split (asr.testset) are those words
    for template in ("about {}", "I measured {} this morning", "{}, I think"):
        assert any(h in template.lower() for h in train_ctc.HELD_OUT_CARRIER_WORDS)
    texts = train_ctc.training_texts(random.Random(4), 400, said=True)
    prefixes = {prefix for prefix, _ in carriers["c"] + carriers["f"] if prefix}
    ours = set(train_ctc.PREFIXES)
    assert sum(any(t.startswith(f"{p} ") for p in prefixes - ours) for t in texts) > 40
    # a seed built without people's carriers reads as it did before they were added
    assert train_ctc.training_texts(random.Random("x"), 3) == [
        "when I checked it was forty point six degrees today", "it's thirty five celsius",
        "it is thirty six nine at the moment",
    ]  # fmt: skip


def test_a_head_carried_over_to_a_wider_vocabulary_reads_as_before() -> None:
    had = (ctc.BLANK, ctc.OTHER, "no", "yes")
    vocab = (ctc.BLANK, ctc.OTHER, "maybe", "no", "yes")
    rng = np.random.default_rng(1)
    wo, bo = rng.normal(size=(8, 4)).astype(np.float32), rng.normal(size=4).astype(np.float32)
    wide_wo, wide_bo = train_ctc._widened(wo, bo, had, vocab)
    h = rng.normal(size=(20, 8)).astype(np.float32)
    before, after = h @ wo + bo, h @ wide_wo + wide_bo
    assert np.array_equal(after[:, [0, 1, 3, 4]], before)
    assert np.allclose(after[:, 2], before[:, 1] - 4.0)  # a new word: rarer than "other"
    with pytest.raises(ValueError, match="drops words"):
        train_ctc._widened(wo, bo, had, (ctc.BLANK, ctc.OTHER, "yes"))
