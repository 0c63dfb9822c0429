"""Candidate edits from the non-matching stretches of an alignment, and their decisions.

Precision first: an edit is applied only when the audio is confident AND something beyond the
ASR itself supports it (a known glossary confusion, a glossary term, a number, a repetition loop
the audio lacks). Everything else is suggested to an editor or kept.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from callfix.align.candidates import merges
from callfix.align.evidence import (glossary_evidence, metaphone_similarity, number_evidence,
                                    repetition_loop, text_similarity)
from callfix.align.glossary import Glossary
from callfix.text import cjk_share, has_cjk, strip_punct, units
from callfix.align.respell import name_words, respelling
from callfix.align.pieces import (Piece, gap_seconds, is_loop_copy, pieces, trim,
                                  units_of_tokens, units_of_words)
from callfix.align.timing import SUSPECT_PROBABILITY, Alignment, Flanks
from callfix.align.wording import join_words, replacement_text, same_when_normalised, with_vendor_edges
from callfix.model import Edit, Paragraph, Token, Word
from callfix.options import AlignOptions

CONTEXT = 3  # units of context either side for glossary checks


@dataclass
class Stretch:
    """One piece with its text, units and words, while it is judged."""

    pc: Piece
    par: Paragraph
    toks: list[Token]
    words: list[Word]
    vunits: list[str]
    aunits: list[str]
    vtext: str
    atext: str

    @property
    def probs(self) -> list[float]:
        return [w.probability for w in self.words]

    @property
    def zh_share(self) -> float:
        # a word Whisper labelled Mandarin with no Chinese character in it ("3-4-3-4" decoded over
        # English speech) is a decoding failure, not Mandarin speech
        ws = self.words
        return sum(1 for w in ws if has_cjk(w.text)) / len(ws) if ws else 0.0


def build_edits(al: Alignment, gl: Glossary, rules: AlignOptions) -> list[Edit]:
    edits = weak_paragraph_edits(al, rules.mandarin_ratio)
    resourced = {e.paragraph for e in edits}
    found = pieces(al)
    todo = sorted(found + weak_deletions(al, resourced, found), key=lambda pc: (pc.g1, pc.g2))[::-1]
    while todo:
        st = _stretch(al, widened_for_join(al, todo.pop(), rules.verify.merge_min_zipf))
        if st is None:
            continue
        edit = _new_edit(al, st, rules)
        vendor_zh = cjk_share(st.vtext) > 0.5 if st.toks else False
        if st.toks and st.words and st.zh_share >= rules.mandarin_ratio and not vendor_zh:
            out = _judge_mandarin(edit, st, heard_share(al, st.pc.paragraph))
        elif not st.words:
            out = _judge_deletion(edit, st, al, rules)
        elif not st.toks:
            out = _judge_insertion(edit, st, al, gl, rules)
        else:
            out = _judge_replacement(edit, st, al, gl, rules, vendor_zh)
        if isinstance(out, list):  # split: each part is judged alone
            todo.extend(out[::-1])
        elif out is not None:
            edits.append(out)
    edits.extend(loop_edits(al, rules))
    edits.extend(respelled_names(al, gl, rules, edits))
    edits.sort(key=lambda e: (e.paragraph, e.char_start, e.char_end))
    for n, e in enumerate(edits, 1):
        e.id = f"e{n:04d}"
    return edits


def respelled_names(al: Alignment, gl: Glossary, rules: AlignOptions, edits: list[Edit]) -> list[Edit]:
    """Matched vendor names a trusted spelling spells otherwise (callfix.align.respell), as edits for
    the audio to weigh: suggested until it does."""
    taken = {(e.paragraph, i) for e in edits for i in range(e.char_start, max(e.char_end, e.char_start + 1))}
    names = name_words(gl)
    out = []
    for g, (p, k) in enumerate(al.toks):
        u1, u2 = al.tok_units[g]
        ws = {al.assigned[u] for u in range(u1, u2)}
        tok = al.paragraphs[p].tokens[k]
        if len(ws) != 1 or -1 in ws or (p, tok.offset) in taken:
            continue
        right = respelling(tok.text, names)
        w = ws.pop()
        if right is None or strip_punct(al.words[w].text).lower() != strip_punct(tok.text).lower():
            continue
        pc = Piece(p, k, k + 1, w, w + 1, g, g + 1)
        st = Stretch(pc, al.paragraphs[p], [tok], [al.words[w]], units_of_tokens(al, g, g + 1),
                     units_of_words(al, w, w + 1), tok.text, al.words[w].text)
        edit = _new_edit(al, st, rules)
        term = strip_punct(right).removesuffix("'s").removesuffix("\u2019s")
        edit.replacement, edit.decision, edit.confidence = right, "suggested", 0.5
        edit.evidence["glossary"] = {"term": term, "respelled": True}
        edit.reason = f"the vendor and the ASR spell it '{strip_punct(tok.text)}'; the trusted spelling '{term}' sounds the same"
        out.append(edit)
    return out


def widened_for_join(al: Alignment, pc: Piece, min_zipf: float) -> Piece:
    """A stretch whose first or last vendor word makes a word with the matched word beside it ("inter"
    before a matched "change": "interchange") takes that word and its ASR word in, so the join is a
    wording to weigh (the vendor split one word and the ASR heard its second half alone)."""
    par = al.paragraphs[pc.paragraph]
    if pc.k1 == pc.k2 or pc.cross or pc.extra:
        return pc
    if pc.k2 < len(par.tokens) and _matched_to(al, pc.g2) == pc.w2 \
            and merges(f"{par.tokens[pc.k2 - 1].text} {par.tokens[pc.k2].text}", min_zipf):
        return replace(pc, k2=pc.k2 + 1, g2=pc.g2 + 1, w2=pc.w2 + 1)
    if pc.k1 > 0 and pc.w1 > 0 and _matched_to(al, pc.g1 - 1) == pc.w1 - 1 \
            and merges(f"{par.tokens[pc.k1 - 1].text} {par.tokens[pc.k1].text}", min_zipf):
        return replace(pc, k1=pc.k1 - 1, g1=pc.g1 - 1, w1=pc.w1 - 1)
    return pc


def _matched_to(al: Alignment, g: int) -> int | None:
    """The ASR word every unit of vendor token ``g`` matches, if they all match one word."""
    if not 0 <= g < len(al.toks):
        return None
    u1, u2 = al.tok_units[g]
    ws = {al.unit_word[al.vmatch[u]] if al.vmatch[u] >= 0 else -1 for u in range(u1, u2)}
    return ws.pop() if len(ws) == 1 and -1 not in ws else None


def _stretch(al: Alignment, pc: Piece) -> Stretch | None:
    par = al.paragraphs[pc.paragraph]
    toks = par.tokens[pc.k1:pc.k2]
    words = al.words[pc.w1:pc.w2]
    vunits = pc.extra.get("vunits") or units_of_tokens(al, pc.g1, pc.g2)
    aunits = units_of_words(al, pc.w1, pc.w2)
    vtext = _vendor_text(par, toks) if toks else ""
    atext = join_words(words)
    if toks and words and same_when_normalised(vtext, atext):
        return None  # a difference of spelling style only
    if not vunits and not aunits:
        return None  # punctuation only
    if not toks and is_loop_copy(al, pc, aunits):
        return None  # the audio's own copies of a vendor loop phrase: the loop edit handles them
    return Stretch(pc, par, toks, words, vunits, aunits, vtext, atext)


def _new_edit(al: Alignment, st: Stretch, rules: AlignOptions) -> Edit:
    edit = Edit(id="", paragraph=st.par.index, kind="replace", vendor=st.vtext, replacement="", decision="kept",
                language="zh" if st.zh_share >= rules.mandarin_ratio else "en")
    _place(edit, st.par, st.pc, st.toks, st.words, al)
    ev: dict = {"asr_text": st.atext}
    if st.words:
        ev["asr_probability"] = round(sum(st.probs) / len(st.probs), 3)
        ev["asr_probability_min"] = round(min(st.probs), 3)
        ev["asr_language_zh"] = round(st.zh_share, 3)
    if st.pc.cross:
        ev["cross_paragraph"] = True
    edit.evidence = ev
    # Not a field: acoustic verification reads which ASR words and wordings this edit weighs.
    edit._piece = (st.pc.w1, st.pc.w2, st.vtext, st.atext)  # type: ignore[attr-defined]
    return edit


HEARD_ENGLISH = 0.5  # a paragraph this much matched by English ASR words was spoken in English


def heard_share(al: Alignment, pi: int) -> float:
    """The share of paragraph ``pi``'s matching units that English ASR words match."""
    us = [u for g, (p, _) in enumerate(al.toks) if p == pi for u in range(*al.tok_units[g])]
    return sum(al.vmatch[u] >= 0 for u in us) / len(us) if us else 0.0


def _judge_mandarin(edit: Edit, st: Stretch, heard: float = 0.0) -> Edit:
    """English text over Mandarin speech: a machine translation. Re-source, never word-replace.

    Not where the paragraph is mostly heard in English (``heard``): that is the interpreter's own
    paragraph, and the Mandarin at its edge the next turn's ("local governments." cut at an
    interpreter's last words, with the CEO's next Mandarin after them)."""
    edit.replacement = st.atext
    doubted = _doubted(st.words)
    if (len(st.words) >= 3 or len(st.toks) >= 5) and not doubted and mandarin_speech(st.words) \
            and heard < HEARD_ENGLISH:
        edit.kind, edit.decision = "resource", "suggested"
        edit.confidence = round(st.zh_share * sum(st.probs) / len(st.probs), 3)
        edit.reason = "English text over Mandarin speech (machine translation): Mandarin transcript given beside it"
        edit.evidence["mandarin"] = True
    else:
        edit.reason = "language differs (Mandarin audio under English text)" + (
            "; the ASR doubts that Mandarin (a likely made-up segment)" if doubted else
            "; the rest of the paragraph is heard in English" if heard >= HEARD_ENGLISH else "")
    return edit


def _judge_deletion(edit: Edit, st: Stretch, al: Alignment, rules: AlignOptions) -> Edit:
    """Vendor text the ASR did not hear: removed only when the audio has no room for it."""
    edit.kind, edit.replacement = "delete", ""
    gap = gap_seconds(al, st.pc)
    edit.evidence["asr_gap_seconds"] = round(gap, 2) if gap is not None else None
    n = len(st.vunits)
    loop = repetition_loop(st.vunits, rules.loop_min_repeats)
    room = gap is not None and gap < max(1.5, 0.25 * n / rules.speech_words_per_second)
    if loop:
        edit.evidence["repetition_loop"] = loop
    whole = st.pc.k1 == 0 and st.pc.k2 == len(st.par.tokens)
    # Even fast speech (4 words/s) could not fit the whole paragraph in the gap the audio leaves;
    # more than 3 s of untranscribed audio is left to an editor.
    no_time = gap is not None and 0 < st.pc.w1 < len(al.words) and too_short_to_say(gap, n)
    if loop and room:
        edit.decision, edit.confidence = "applied", 0.9
        edit.reason = f"repetition loop ('{loop['phrase']}' x{loop['count']}) not in the audio"
    elif whole and n >= 4 and no_time:
        edit.decision, edit.confidence = "applied", 0.85
        edit.reason = f"paragraph not in the audio: {gap:.1f} s between the neighbouring words, too short to say it"
    elif n >= 3 and room:
        edit.decision, edit.confidence = "suggested", 0.6
        edit.reason = "not in the audio (no speech recognised there)"
    elif whole and n >= 3:
        edit.decision, edit.confidence = "suggested", 0.5
        edit.reason = "paragraph not heard; the audio has untranscribed time here"
    elif loop:
        edit.decision, edit.confidence = "suggested", 0.5
        edit.reason = "repetition loop; the audio has untranscribed time here"
    else:
        edit.confidence = 0.2
        edit.reason = "missing from the ASR (it may have dropped these words)"
    return edit


def _judge_insertion(edit: Edit, st: Stretch, al: Alignment, gl: Glossary, rules: AlignOptions) -> Edit:
    """Words only the ASR has: never applied (the ASR may have made them up)."""
    edit.kind = "insert"
    edit.replacement = replacement_text(st.toks, st.words, gl, mid_sentence(al, st.pc.w1))
    p = sum(st.probs) / len(st.probs)
    edit.confidence = round(0.6 * p, 3)
    if len(st.aunits) >= 2 and p >= rules.min_asr_probability and not st.zh_share:
        edit.decision = "suggested" if edit.confidence >= rules.suggest_confidence else "kept"
        edit.reason = "heard in the audio, missing from the vendor text"
    else:
        edit.reason = "short or uncertain ASR-only words"
    return edit


def _judge_replacement(edit: Edit, st: Stretch, al: Alignment, gl: Glossary, rules: AlignOptions,
                       vendor_zh: bool) -> Edit | list[Piece]:
    """Weigh the audio against the vendor: applied only with support beyond the ASR itself."""
    pc, toks, words, probs = st.pc, st.toks, st.words, st.probs
    edit.replacement = replacement_text(toks, words, gl, mid_sentence(al, pc.w1))
    left = units_of_tokens(al, max(0, pc.g1 - CONTEXT), pc.g1)
    right = units_of_tokens(al, pc.g2, min(len(al.toks), pc.g2 + CONTEXT))
    gev = glossary_evidence(gl, left, st.vunits, st.aunits, right)
    if gev.span:
        parts = trim(al, pc, gev.span)
        if parts:  # the confusion is only part of the stretch
            return parts
    num = number_evidence(st.vunits, st.aunits)
    if num and "_span" in num:
        parts = trim(al, pc, num.pop("_span"))
        if parts:
            return parts
        num = None  # the number cannot be told apart from the other differences
    phon = metaphone_similarity(st.vtext, st.atext)
    tsim = text_similarity(st.vunits, st.aunits)
    p, p_mean = min(probs), sum(probs) / len(probs)
    ev = edit.evidence
    ev.update({"phonetic_similarity": round(phon, 3), "text_similarity": round(tsim, 3)})
    if gev:
        ev["glossary"] = gev.to_dict()
    if num:
        ev["number"] = num
    support = None
    if vendor_zh or st.zh_share >= rules.mandarin_ratio:
        conf = 0.6 * p
        reason = "Mandarin wording differs from the ASR (editor decides)"
    elif gev.confusion:
        # Two independent witnesses (a known confusion and the audio) need less ASR certainty:
        # conf reaches apply_confidence at mean probability min_confusion_probability.
        support = "confusion"
        conf = rules.apply_confidence + (1 - rules.apply_confidence) * (p_mean - rules.min_confusion_probability) / max(1e-6, 1 - rules.min_confusion_probability)
        reason = f"known confusion '{gev.confusion[0]}' -> '{gev.confusion[1]}' confirmed by the audio"
        if gev.context and any(gev.context):
            _widen(edit, al, pc, gev.context, gev.confusion[1])
    elif gev.confusion_fuzzy:
        wrong, right, sim = gev.confusion_fuzzy
        support, conf = "confusion", 0.5 * sim + 0.45 * p_mean
        edit.replacement = with_vendor_edges(toks, gev.replacement)
        reason = f"known confusion '{wrong}' -> '{right}'; the audio is close to it ({sim:.0%})"
    elif gev.vendor_term:
        conf = 0.2 * p
        reason = f"vendor spelling '{gev.vendor_term}' is in the glossary; the audio reading is not"
    elif gev.term and phon >= 0.5:
        support, conf = "term", 0.45 + 0.45 * p_mean
        reason = f"the audio says glossary term '{gev.term}'"
    elif num and num["digit_similarity"] >= 0.5:
        support, conf = "number", 0.45 + 0.45 * p
        reason = "number differs from the audio"
    else:
        conf = 0.75 * p * max(phon, tsim)
        reason = "the audio reads differently"
    if support and (p < rules.floor_asr_probability or (support != "confusion" and p < rules.min_asr_probability)):
        conf = min(conf, rules.apply_confidence - 0.01)
        reason += " (uncertain ASR)"
    elif support and conf < rules.apply_confidence:
        reason += " (uncertain ASR)"
    if (len(toks) > rules.max_edit_tokens or len(words) > rules.max_edit_tokens or pc.cross) and conf >= rules.apply_confidence:
        conf = rules.apply_confidence - 0.01
        reason += " (long stretch: editor decides)"
    edit.confidence = round(max(0.0, min(conf, 0.99)), 3)
    if support and edit.confidence >= rules.apply_confidence:
        edit.decision = "applied"
    elif edit.confidence >= rules.suggest_confidence:
        edit.decision = "suggested"
    edit.reason = reason
    return edit


def mid_sentence(al: Alignment, w1: int) -> bool:
    """The ASR word at ``w1`` continues a sentence of the ASR's own, so its capital is not positional,
    and the vendor text never writes that word in lower case: Whisper capitalises an institution's
    word too ("U.S. Customs") where the vendor's style is "our customs brokerage"."""
    if not 0 < w1 < len(al.words):
        return False
    prev = al.words[w1 - 1].text.strip()
    return bool(prev) and not prev.endswith((".", "?", "!", "。", "？", "！")) and not has_cjk(prev) \
        and strip_punct(al.words[w1].text).lower() not in al.lower_words


def _doubted(words: list[Word]) -> bool:
    """Mandarin the ASR itself doubts (most of it in suspect segments): it cannot call the English a
    translation. Most, not on average: a looped phrase flagged twice and a sure "好吗?" after it are no source."""
    probs = sorted(w.probability for w in words)
    return probs[(len(probs) - 1) // 2] <= SUSPECT_PROBABILITY


def mandarin_speech(words: list[Word]) -> bool:
    """Enough Chinese for a translation's source: three words with Chinese characters over at least
    1.5 s (the span, not the words' summed durations: Whisper gives garbled Mandarin near-zero word
    times). Less is what Whisper makes up over a noisy English line ("有些人" in 0.8 s of a phone call)."""
    zh = [w for w in words if has_cjk(w.text)]
    return len(zh) >= 3 and zh[-1].end - zh[0].start >= 1.5


def weak_paragraph_edits(al: Alignment, zh_ratio: float) -> list[Edit]:
    """English paragraphs over Mandarin speech: flag as machine translation and give the Mandarin."""
    out = []
    for wk in al.weak:
        # Whisper labelled Mandarin that holds no Chinese character ("3- 4- 3- 4-" over an English
        # turn) is a decoding failure, not Mandarin speech: no evidence of a translation
        zh = [al.words[w] for w in wk.zh_words if has_cjk(al.words[w].text)]
        if not mandarin_speech(zh) or _doubted(zh):
            continue
        par = al.paragraphs[wk.paragraph]
        probs = [w.probability for w in zh]
        e = Edit(id="", paragraph=par.index, kind="resource", vendor=par.text, replacement=join_words(zh),
                 decision="suggested", char_start=0, char_end=len(par.text), start=zh[0].start, end=zh[-1].end,
                 language="zh", confidence=round(sum(probs) / len(probs), 3),
                 reason="English text over Mandarin speech (machine translation): Mandarin transcript given beside it")
        speakers = [w.speaker for w in zh if w.speaker]
        e.speaker = max(set(speakers), key=speakers.count) if speakers else None
        e.evidence = {"asr_text": e.replacement, "asr_probability": e.confidence, "mandarin": True,
                      "asr_language_zh": 1.0, "matched_share": 0.0}
        # The interpreter-style English stays; it is timed over the Mandarin it translates.
        n = len(par.tokens)
        for i, tok in enumerate(par.tokens):
            tok.start = round(e.start + i * (e.end - e.start) / n, 3)
            tok.end = round(e.start + (i + 1) * (e.end - e.start) / n, 3)
            tok.speaker = e.speaker
        out.append(e)
    return out


def weak_deletions(al: Alignment, resourced: set[int] = frozenset(), found: list[Piece] = ()) -> list[Piece]:
    """A barely matched paragraph with no unmatched speech around it, and not given its Mandarin (``resourced``
    paragraph indices): a deletion candidate. Words of other paragraphs' stretches (``found``) between its
    flanks that sound like those paragraphs' words are their own readings ("Key Bank" heard as "KeyBanc" just
    before a stray line), not speech this paragraph may hold, where the time between the flanks is too short
    to say it."""
    out = []
    flanks = Flanks(al)
    owned = {w: pc.paragraph for pc in found if _heard_as(al, pc) or _word_for_word(pc) for w in range(pc.w1, pc.w2)}
    for wk in al.weak:
        pi = wk.paragraph
        if al.paragraphs[pi].index in resourced:
            continue
        g1, g2 = flanks.tokens[pi]
        before, after = flanks(g1, g2)
        between = range(before + 1, after)
        par = al.paragraphs[pi]
        vunits = [u for k in par.tokens for u in units(k.text)]
        if any(owned.get(w, pi) == pi for w in between) or (between and not _no_time(al, before, after, len(vunits))):
            continue  # unmatched speech nearby: leave the paragraph unverified, not deleted
        at = before + 1 + sum(1 for w in between if owned[w] < pi)
        out.append(Piece(pi, 0, len(par.tokens), at, at, g1, g2, extra={"vunits": vunits}))
    return out


def _heard_as(al: Alignment, pc: Piece) -> bool:
    """The piece's words are a hearing of its vendor words (they sound alike), not garbled speech that may
    belong to a neighbouring paragraph."""
    par = al.paragraphs[pc.paragraph]
    toks = par.tokens[pc.k1:pc.k2]
    if not toks or pc.w1 == pc.w2:
        return False
    return metaphone_similarity(_vendor_text(par, toks), join_words(al.words[pc.w1:pc.w2])) >= 0.6


def _word_for_word(pc: Piece) -> bool:
    """As many ASR words as vendor words, one for one: the ASR's reading of those words, however unlike
    ("the team." for "Key Bank."), not speech of the paragraph beside them."""
    return pc.k2 - pc.k1 == pc.w2 - pc.w1 > 0


def _vendor_text(par: Paragraph, toks: list[Token]) -> str:
    """The vendor's text of tokens ``toks`` of ``par``, punctuation and spacing as written."""
    return par.text[toks[0].offset:toks[-1].offset + len(toks[-1].text)]


def too_short_to_say(seconds: float, n: int) -> bool:
    """Even fast speech (4 words/s) could not say ``n`` words in ``seconds``; more than 3 s is left to an editor."""
    return seconds < min(n / 4.0, 3.0)


def _no_time(al: Alignment, before: int, after: int, n: int) -> bool:
    """``n`` words are too many to say in the pauses between matched words ``before`` and ``after``: the
    words between them are other paragraphs' own (weak_deletions), so only the time between words is free."""
    if before < 0 or after >= len(al.words):
        return False
    spoken = sum(w.end - w.start for w in al.words[before + 1:after])
    return too_short_to_say(max(0.0, al.words[after].start - al.words[before].end - spoken), n)


def loop_edits(al: Alignment, opts: AlignOptions) -> list[Edit]:
    """Delete the repeats of a vendor loop that the audio does not contain."""
    words_per_sec = opts.speech_words_per_second
    out = []
    flanks = Flanks(al)
    for lp in al.loops:
        par = al.paragraphs[lp.paragraph]
        before, after = flanks(lp.g1, lp.g2)
        between = al.words[before + 1:after]
        phrase = tuple(lp.phrase.split())
        heard = [u for w in between for u in units(w.text)]
        in_audio = sum(1 for i in range(len(heard) - len(phrase) + 1) if tuple(heard[i:i + len(phrase)]) == phrase)
        keep = min(in_audio, lp.count)
        if keep >= lp.count:
            continue  # the speaker really said it that often
        # Drop the leading repeats: the last copy carries the punctuation that fits what follows.
        toks = par.tokens[lp.k1:lp.k2 - keep * lp.period]
        e = Edit(id="", paragraph=par.index, kind="delete", vendor="", replacement="", decision="kept")
        e.char_start, e.char_end = toks[0].offset, toks[-1].offset + len(toks[-1].text)
        e.vendor = par.text[e.char_start:e.char_end]
        e.start, e.end, e.speaker = toks[0].start, toks[-1].end, toks[0].speaker
        if 0 <= before and after < len(al.words):
            free = max(0.0, al.words[after].start - al.words[before].end - sum(w.end - w.start for w in between))
        else:
            free = None
        expected = (lp.count - keep) * len(phrase) / words_per_sec
        room = free is not None and free < max(1.5, 0.25 * expected)
        e.evidence = {"repetition_loop": {"phrase": lp.phrase, "count": lp.count, "in_audio": in_audio},
                      "asr_gap_seconds": round(free, 2) if free is not None else None,
                      "asr_text": join_words(between)}
        implausible = lp.count >= opts.loop_always_repeats and in_audio == 0
        if room or free is None and al.words or implausible:
            e.decision, e.confidence = "applied", 0.9
            e.reason = f"repetition loop ('{lp.phrase}' x{lp.count}; {in_audio} in the audio) removed"
        else:
            e.decision, e.confidence = "suggested", 0.55
            e.reason = f"repetition loop ('{lp.phrase}' x{lp.count}); the audio has untranscribed time here"
        out.append(e)
    return out


def _widen(edit: Edit, al: Alignment, pc: Piece, context: tuple[int, int], right: str) -> None:
    """Rewrite the whole confused form, context words included, in its glossary spelling
    ("kings of the cloud's" -> "Kingsoft Cloud's", not "Kingsoft cloud's")."""
    def reach(g: int, step: int, need: int) -> int | None:
        got = 0
        while got < need:
            g += step
            if not 0 <= g < len(al.toks) or al.toks[g][0] != pc.paragraph:
                return None
            got += al.tok_units[g][1] - al.tok_units[g][0]
        return g if got == need else None

    g1 = reach(pc.g1, -1, context[0]) if context[0] else pc.g1
    g2 = reach(pc.g2 - 1, 1, context[1]) if context[1] else pc.g2 - 1
    if g1 is None or g2 is None:
        return
    par = al.paragraphs[pc.paragraph]
    toks = par.tokens[al.toks[g1][1]:al.toks[g2][1] + 1]
    last = strip_punct(toks[-1].text)
    possessive = "'s" if last.lower().endswith(("'s", "\u2019s")) and not right.lower().endswith("'s") else ""
    edit.char_start, edit.char_end = toks[0].offset, toks[-1].offset + len(toks[-1].text)
    edit.vendor = par.text[edit.char_start:edit.char_end]
    edit.replacement = with_vendor_edges(toks, right + possessive)
    if toks[0].start is not None:
        edit.start, edit.end = min(edit.start or toks[0].start, toks[0].start), max(edit.end or 0, toks[-1].end)


def _place(edit: Edit, par: Paragraph, pc: Piece, toks: list[Token], words: list[Word], al: Alignment) -> None:
    n = len(par.tokens)
    if toks:
        edit.char_start = toks[0].offset
        edit.char_end = toks[-1].offset + len(toks[-1].text)
        edit.start, edit.end = toks[0].start, toks[-1].end
    else:
        at = par.tokens[pc.k1].offset if pc.k1 < n else len(par.text)
        edit.char_start = edit.char_end = at
    if words:
        edit.start, edit.end = words[0].start, words[-1].end
        edit.speaker = words[0].speaker
    elif toks:
        edit.speaker = toks[0].speaker
