"""Candidate edits from the non-matching stretches of an alignment, and their decisions.

Precision first: an edit is applied only when the audio is confident AND something beyond the
ASR itself supports it (a known glossary confusion, a glossary term, a number, a repetition loop
the audio lacks). Everything else is suggested to an editor or kept.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from callfix.align.evidence import (glossary_evidence, metaphone_similarity, number_evidence,
                                    repetition_loop, text_similarity)
from callfix.align.glossary import Glossary
from callfix.align.normalize import (cjk_share, edge_punct, english_normalizer, has_cjk, phrase_units, strip_punct,
                                     tokenize, units)
from callfix.align.timing import Alignment
from callfix.model import Edit, Paragraph, Token, Word

CONTEXT = 3
_NEEDS_FULL = re.compile(r"[0-9'%$&\u2019]")  # units of context either side for glossary checks


@dataclass
class Piece:
    """One paragraph's share of a non-matching stretch: vendor tokens [k1, k2) vs words [w1, w2)."""

    paragraph: int
    k1: int
    k2: int
    w1: int
    w2: int
    g1: int  # global token indices
    g2: int
    cross: bool = False  # the stretch spanned several paragraphs
    extra: dict = field(default_factory=dict)


def pieces(al: Alignment) -> list[Piece]:
    """Non-matching stretches widened to whole tokens and words, merged, split by paragraph."""
    spans: list[list[int]] = []  # [g1, g2, w1, w2) global token and word ranges
    for a1, a2, b1, b2 in al.stretches():
        gs = {al.vg[u] for u in range(a1, a2)}
        ws = {al.ww[j] for j in range(b1, b2)}
        for _ in range(3):  # a token half-matched drags its matched words in, and vice versa
            n = len(gs) + len(ws)
            for g in list(gs):
                u1, u2 = al.tok_units[g]
                ws |= {al.ww[al.vmatch[u]] for u in range(u1, u2) if al.vmatch[u] >= 0}
            for w in list(ws):
                j1, j2 = al.word_units[w]
                gs |= {al.vg[al.wmatch[j]] for j in range(j1, j2) if al.wmatch[j] >= 0}
            if len(gs) + len(ws) == n:
                break
        if gs:
            g1, g2 = min(gs), max(gs) + 1
        else:  # pure insertion: before the token of the next vendor unit
            g1 = g2 = al.vg[a1] if a1 < len(al.vg) else len(al.toks)
        if ws:
            w1, w2 = min(ws), max(ws) + 1
        else:  # pure deletion: between the words matched either side
            w1 = w2 = (al.ww[b1] if b1 < len(al.ww) else len(al.words))
        if spans and (g1 < spans[-1][1] or w1 < spans[-1][3] or (gs and g1 == spans[-1][1] and w1 == spans[-1][3])):
            s = spans[-1]
            s[0], s[1], s[2], s[3] = min(s[0], g1), max(s[1], g2), min(s[2], w1), max(s[3], w2)
        else:
            spans.append([g1, g2, w1, w2])
    out: list[Piece] = []
    for g1, g2, w1, w2 in spans:
        out.extend(_split(al, g1, g2, w1, w2))
    return out


def _split(al: Alignment, g1: int, g2: int, w1: int, w2: int) -> list[Piece]:
    if g1 == g2:
        if g1 < len(al.toks):
            p, k = al.toks[g1]
        elif al.toks:
            p, k = al.toks[-1][0], len(al.paragraphs[al.toks[-1][0]].tokens)
        else:
            return []
        if k == 0 and g1 > 0:  # at a paragraph start: the words end the previous paragraph
            p, k = al.toks[g1 - 1][0], len(al.paragraphs[al.toks[g1 - 1][0]].tokens)
        return [Piece(p, k, k, w1, w2, g1, g1)]
    groups: list[list[int]] = []
    looped = _looped(al)
    prev = None
    for g in range(g1, g2):
        if g in looped:  # loops are judged on their own
            continue
        if groups and al.toks[g][0] == al.toks[groups[-1][0]][0] and prev == g - 1:
            groups[-1].append(g)
        else:
            groups.append([g])
        prev = g
    if not groups:
        return []
    starts = []
    for grp in groups:
        ws = [al.assigned[u] for g in grp for u in range(*al.tok_units[g]) if al.assigned[u] >= 0]
        starts.append(min(ws) if ws else None)
    out = []
    cur = w1
    for n, grp in enumerate(groups):
        nxt = next((s for s in starts[n + 1:] if s is not None), w2) if n + 1 < len(groups) else w2
        nxt = max(cur, min(nxt, w2))
        p = al.toks[grp[0]][0]
        out.append(Piece(p, al.toks[grp[0]][1], al.toks[grp[-1]][1] + 1, cur, nxt, grp[0], grp[-1] + 1,
                         cross=len(groups) > 1))
        cur = nxt
    return out


def _is_loop_copy(al: Alignment, pc: Piece, aunits: list[str]) -> bool:
    for lp in al.loops:
        if lp["paragraph"] == pc.paragraph and lp["k1"] <= pc.k1 <= lp["k2"] and set(aunits) <= set(lp["phrase"].split()):
            return True
    return False


def _looped(al: Alignment) -> set[int]:
    return {g for lp in al.loops for g in range(lp["g1"], lp["g2"])}


def _units_of_tokens(al: Alignment, g1: int, g2: int) -> list[str]:
    if g1 >= g2:
        return []
    return al.vu[al.tok_units[g1][0]:al.tok_units[g2 - 1][1]]


def _units_of_words(al: Alignment, w1: int, w2: int) -> list[str]:
    if w1 >= w2:
        return []
    return al.wu[al.word_units[w1][0]:al.word_units[w2 - 1][1]]


def same_when_normalised(a: str, b: str) -> bool:
    """Only a difference of spelling style (numbers, contractions, British/American)?"""
    if "".join(units(a)) == "".join(units(b)):
        return True
    n = english_normalizer()
    if not n:
        return False
    if not _NEEDS_FULL.search(a + b):  # no numbers or contractions: spelling variants only
        sp = n.standardize_spellings
        return sp(" ".join(units(a))).replace(" ", "") == sp(" ".join(units(b))).replace(" ", "")
    return n(a).replace(" ", "") == n(b).replace(" ", "")


def join_words(words: list[Word]) -> str:
    out = ""
    for w in words:
        t = w.text.replace("\ufffd", "").strip()  # Whisper may cut a character's bytes
        if not t:
            continue
        if out and not (_cjk_like(t[:1]) and _cjk_like(out[-1:])):
            out += " "
        out += t
    return out


def _cjk_like(ch: str) -> bool:
    return bool(ch) and (has_cjk(ch) or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef")


def replacement_text(vendor_tokens: list[Token], words: list[Word], gl: Glossary) -> str:
    """ASR words, in the vendor's style: glossary spellings, vendor's edge punctuation and case."""
    core = [c for c in (strip_punct(w.text) for w in words) if c]
    text = join_words([Word(c, 0, 0) for c in _canonical_spelling(core, gl)])
    if vendor_tokens and text:
        lead, _ = edge_punct(vendor_tokens[0].text)
        _, trail = edge_punct(vendor_tokens[-1].text)
        first = strip_punct(vendor_tokens[0].text)[:1]
        if first.isupper() and text[0].islower():
            text = text[0].upper() + text[1:]
        elif first.islower() and text[0].isupper() and not _is_glossary_start(text, gl) and not text.startswith("I "):
            if len(text) > 1 and not text[1].isupper():
                text = text[0].lower() + text[1:]
        text = lead + text + trail
    return text


def _canonical_spelling(core: list[str], gl: Glossary) -> list[str]:
    """Words that spell a glossary entry (spaces aside: "deep seek") take its canonical spelling."""
    out = list(core)
    joined = "".join(u for c in core for u in units(c))
    for term, tu in _canonical_units(tuple(gl.canonical())):
        target = "".join(tu)
        if target not in joined:
            continue
        i = 0
        while i < len(out):
            acc, j = "", i
            while j < len(out) and len(acc) < len(target):
                acc += "".join(units(out[j]))
                j += 1
            if acc == target and (j - i > 1 or out[i] != term):
                out[i:j] = [term]
            i += 1
    return out


@lru_cache(maxsize=8)
def _canonical_units(canonical: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
    return [(t, u) for t in canonical if (u := phrase_units(t))]


def _with_vendor_edges(vendor_tokens: list[Token], text: str) -> str:
    lead, _ = edge_punct(vendor_tokens[0].text)
    _, trail = edge_punct(vendor_tokens[-1].text)
    return lead + text + trail


def _is_glossary_start(text: str, gl: Glossary) -> bool:
    return any(text.startswith(t) for t in gl.canonical())


def build_edits(al: Alignment, gl: Glossary, acfg: dict) -> list[Edit]:
    apply_c = float(acfg.get("apply_confidence", 0.8))
    suggest_c = float(acfg.get("suggest_confidence", 0.45))
    min_p = float(acfg.get("min_asr_probability", 0.6))
    min_conf_p = float(acfg.get("min_confusion_probability", 0.4))
    floor_p = float(acfg.get("floor_asr_probability", 0.15))
    zh_ratio = float(acfg.get("mandarin_ratio", 0.6))
    max_tokens = int(acfg.get("max_edit_tokens", 8))
    loop_min = int(acfg.get("loop_min_repeats", 3))
    words_per_sec = float(acfg.get("speech_words_per_second", 2.5))
    edits: list[Edit] = []
    edits.extend(weak_paragraph_edits(al, zh_ratio))
    todo = sorted(pieces(al) + weak_deletions(al), key=lambda pc: (pc.g1, pc.g2))[::-1]
    while todo:
        pc = todo.pop()
        par = al.paragraphs[pc.paragraph]
        toks = par.tokens[pc.k1:pc.k2]
        words = al.words[pc.w1:pc.w2]
        vunits = pc.extra.get("vunits") or _units_of_tokens(al, pc.g1, pc.g2)
        aunits = _units_of_words(al, pc.w1, pc.w2)
        vtext = par.text[toks[0].offset:toks[-1].offset + len(toks[-1].text)] if toks else ""
        atext = join_words(words)
        if toks and words and same_when_normalised(vtext, atext):
            continue
        if not vunits and not aunits:
            continue  # punctuation only
        if not toks and _is_loop_copy(al, pc, aunits):
            continue  # the audio's own copies of a vendor loop phrase: the loop edit handles them
        probs = [w.probability for w in words]
        zh_share = sum(1 for w in words if w.language == "zh" or has_cjk(w.text)) / len(words) if words else 0.0
        ev: dict = {"asr_text": atext}
        if words:
            ev["asr_probability"] = round(sum(probs) / len(probs), 3)
            ev["asr_probability_min"] = round(min(probs), 3)
            ev["asr_language_zh"] = round(zh_share, 3)
        if pc.cross:
            ev["cross_paragraph"] = True
        edit = Edit(id="", paragraph=par.index, kind="replace", vendor=vtext, replacement="", decision="kept",
                    language="zh" if zh_share >= zh_ratio else "en")
        _place(edit, par, pc, toks, words, al)
        vendor_zh = cjk_share(vtext) > 0.5 if toks else False

        if toks and words and zh_share >= zh_ratio and not vendor_zh:
            # English text over Mandarin speech: a machine translation. Re-source, never word-replace.
            if len(words) >= 3 or len(toks) >= 5:
                edit.kind = "resource"
                edit.replacement = atext
                edit.decision = "suggested"
                edit.confidence = round(zh_share * (sum(probs) / len(probs)), 3)
                edit.reason = "English text over Mandarin speech (machine translation): Mandarin transcript given beside it"
                ev["mandarin"] = True
            else:
                edit.reason = "language differs (Mandarin audio under English text)"
                edit.replacement = atext
            edit.evidence = ev
            edits.append(edit)
            continue

        if not words:  # vendor text the audio does not contain
            edit.kind = "delete"
            edit.replacement = ""
            gap = _gap_seconds(al, pc)
            ev["asr_gap_seconds"] = round(gap, 2) if gap is not None else None
            loop = repetition_loop(vunits, loop_min)
            expected = len(vunits) / words_per_sec
            room = gap is not None and gap < max(1.5, 0.25 * expected)
            if loop:
                ev["repetition_loop"] = loop
            whole = pc.k1 == 0 and pc.k2 == len(par.tokens)
            # Even fast speech (4 words/s) could not fit the whole paragraph in the gap the audio leaves;
            # more than 3 s of untranscribed audio is left to an editor.
            no_time = gap is not None and 0 < pc.w1 < len(al.words) and gap < min(len(vunits) / 4.0, 3.0)
            if loop and room:
                edit.decision, edit.confidence = "applied", 0.9
                edit.reason = f"repetition loop ('{loop['phrase']}' x{loop['count']}) not in the audio"
            elif whole and len(vunits) >= 4 and no_time:
                edit.decision, edit.confidence = "applied", 0.85
                edit.reason = f"paragraph not in the audio: {gap:.1f} s between the neighbouring words, too short to say it"
            elif len(vunits) >= 3 and room:
                edit.decision, edit.confidence = "suggested", 0.6
                edit.reason = "not in the audio (no speech recognised there)"
            elif whole and len(vunits) >= 3:
                edit.decision, edit.confidence = "suggested", 0.5
                edit.reason = "paragraph not heard; the audio has untranscribed time here"
            elif loop:
                edit.decision, edit.confidence = "suggested", 0.5
                edit.reason = "repetition loop; the audio has untranscribed time here"
            else:
                edit.confidence = 0.2
                edit.reason = "missing from the ASR (it may have dropped these words)"
            edit.evidence = ev
            edits.append(edit)
            continue

        edit.replacement = replacement_text(toks, words, gl)
        if not toks:
            edit.kind = "insert"
            p = sum(probs) / len(probs)
            edit.confidence = round(0.6 * p, 3)
            if len(aunits) >= 2 and p >= min_p and not zh_share:
                edit.decision = "suggested" if edit.confidence >= suggest_c else "kept"
                edit.reason = "heard in the audio, missing from the vendor text"
            else:
                edit.reason = "short or uncertain ASR-only words"
            edit.evidence = ev
            edits.append(edit)
            continue

        # Replacement: weigh the audio against the vendor.
        left = _units_of_tokens(al, max(0, pc.g1 - CONTEXT), pc.g1)
        right = _units_of_tokens(al, pc.g2, min(len(al.toks), pc.g2 + CONTEXT))
        gev = glossary_evidence(gl, left, vunits, aunits, right)
        span = gev.pop("_span", None)
        context = gev.pop("_context", None)
        if span:
            parts = _trim(al, pc, span)
            if parts:  # the confusion is only part of the stretch: judge each part alone
                todo.extend(parts[::-1])
                continue
        phon = metaphone_similarity(vtext, atext)
        tsim = text_similarity(vunits, aunits)
        num = number_evidence(vunits, aunits)
        if num and "_span" in num:
            parts = _trim(al, pc, num.pop("_span"))
            if parts:
                todo.extend(parts[::-1])
                continue
            num = None  # the number cannot be told apart from the other differences
        p, p_mean = min(probs), sum(probs) / len(probs)
        ev.update({"phonetic_similarity": round(phon, 3), "text_similarity": round(tsim, 3)})
        if gev:
            ev["glossary"] = gev
        if num:
            ev["number"] = num
        support = None
        if vendor_zh or zh_share >= zh_ratio:
            conf = 0.6 * p
            reason = "Mandarin wording differs from the ASR (editor decides)"
        elif "confusion" in gev:
            # Two independent witnesses (a known confusion and the audio) need less ASR certainty:
            # conf reaches apply_confidence at mean probability min_confusion_probability.
            support = "confusion"
            conf = apply_c + (1 - apply_c) * (p_mean - min_conf_p) / max(1e-6, 1 - min_conf_p)
            reason = f"known confusion '{gev['confusion'][0]}' -> '{gev['confusion'][1]}' confirmed by the audio"
            if context and any(context):
                _widen(edit, al, pc, context, gev["confusion"][1])
        elif "confusion_fuzzy" in gev:
            sim = gev["confusion_fuzzy"][2]
            support, conf = "confusion", 0.5 * sim + 0.45 * p_mean
            edit.replacement = _with_vendor_edges(toks, gev["replacement"])
            reason = (f"known confusion '{gev['confusion_fuzzy'][0]}' -> '{gev['confusion_fuzzy'][1]}'; "
                      f"the audio is close to it ({sim:.0%})")
        elif "vendor_term" in gev:
            conf = 0.2 * p
            reason = f"vendor spelling '{gev['vendor_term']}' is in the glossary; the audio reading is not"
        elif "term" in gev and phon >= 0.5:
            support, conf = "term", 0.45 + 0.45 * p_mean
            reason = f"the audio says glossary term '{gev['term']}'"
        elif num and num["digit_similarity"] >= 0.5:
            support, conf = "number", 0.45 + 0.45 * p
            reason = "number differs from the audio"
        else:
            conf = 0.75 * p * max(phon, tsim)
            reason = "the audio reads differently"
        if support and (p < floor_p or (support != "confusion" and p < min_p)):
            conf = min(conf, apply_c - 0.01)
            reason += " (uncertain ASR)"
        elif support and conf < apply_c:
            reason += " (uncertain ASR)"
        if (len(toks) > max_tokens or len(words) > max_tokens or pc.cross) and conf >= apply_c:
            conf = apply_c - 0.01
            reason += " (long stretch: editor decides)"
        conf = max(0.0, min(conf, 0.99))
        edit.confidence = round(conf, 3)
        if support and conf >= apply_c:
            edit.decision = "applied"
        elif conf >= suggest_c:
            edit.decision = "suggested"
        edit.reason = reason
        edit.evidence = ev
        edits.append(edit)
    edits.extend(loop_edits(al, acfg))
    edits.sort(key=lambda e: (e.paragraph, e.char_start, e.char_end))
    for n, e in enumerate(edits, 1):
        e.id = f"e{n:04d}"
    return edits


def weak_paragraph_edits(al: Alignment, zh_ratio: float) -> list[Edit]:
    """English paragraphs over Mandarin speech: flag as machine translation and give the Mandarin."""
    out = []
    for wk in al.weak:
        zh = [al.words[w] for w in wk["zh_words"]]
        if len(zh) < 3 or sum(w.end - w.start for w in zh) < 1.5:
            continue
        par = al.paragraphs[wk["paragraph"]]
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
        wk["resourced"] = True
        out.append(e)
    return out


def weak_deletions(al: Alignment) -> list[Piece]:
    """A barely matched paragraph with no unmatched speech around it: a deletion candidate."""
    out = []
    for wk in al.weak:
        if wk.get("resourced"):
            continue
        pi = wk["paragraph"]
        gs = [g for g, (p, _) in enumerate(al.toks) if p == pi]
        before, after = _flanking_words(al, gs[0], gs[-1] + 1)
        if after - before > 1:
            continue  # unmatched speech nearby: leave the paragraph unverified, not deleted
        par = al.paragraphs[pi]
        vunits = [u for k in par.tokens for u in units(k.text)]
        out.append(Piece(pi, 0, len(par.tokens), after, after, gs[0], gs[-1] + 1, extra={"vunits": vunits}))
    return out


def _flanking_words(al: Alignment, g1: int, g2: int) -> tuple[int, int]:
    """ASR words matched just before token g1 and just after token g2 (-1 / len(words): none)."""
    u = al.tok_units[g1][0] - 1 if g1 < len(al.toks) else len(al.vu) - 1
    while u >= 0 and al.vmatch[u] < 0:
        u -= 1
    before = al.ww[al.vmatch[u]] if u >= 0 else -1
    u = al.tok_units[g2][0] if g2 < len(al.toks) else len(al.vu)
    while u < len(al.vu) and al.vmatch[u] < 0:
        u += 1
    after = al.ww[al.vmatch[u]] if u < len(al.vu) else len(al.words)
    return before, after


def loop_edits(al: Alignment, acfg: dict) -> list[Edit]:
    """Delete the repeats of a vendor loop that the audio does not contain."""
    words_per_sec = float(acfg.get("speech_words_per_second", 2.5))
    out = []
    for lp in al.loops:
        par = al.paragraphs[lp["paragraph"]]
        before, after = _flanking_words(al, lp["g1"], lp["g2"])
        between = al.words[before + 1:after]
        phrase = tuple(lp["phrase"].split())
        heard = [u for w in between for u in units(w.text)]
        in_audio = sum(1 for i in range(len(heard) - len(phrase) + 1) if tuple(heard[i:i + len(phrase)]) == phrase)
        keep = min(in_audio, lp["count"])
        if keep >= lp["count"]:
            continue  # the speaker really said it that often
        # Drop the leading repeats: the last copy carries the punctuation that fits what follows.
        toks = par.tokens[lp["k1"]:lp["k2"] - keep * lp["period"]]
        e = Edit(id="", paragraph=par.index, kind="delete", vendor="", replacement="", decision="kept")
        e.char_start, e.char_end = toks[0].offset, toks[-1].offset + len(toks[-1].text)
        e.vendor = par.text[e.char_start:e.char_end]
        e.start, e.end, e.speaker = toks[0].start, toks[-1].end, toks[0].speaker
        if 0 <= before and after < len(al.words):
            free = max(0.0, al.words[after].start - al.words[before].end - sum(w.end - w.start for w in between))
        else:
            free = None
        expected = (lp["count"] - keep) * len(phrase) / words_per_sec
        room = free is not None and free < max(1.5, 0.25 * expected)
        e.evidence = {"repetition_loop": {"phrase": lp["phrase"], "count": lp["count"], "in_audio": in_audio},
                      "asr_gap_seconds": round(free, 2) if free is not None else None,
                      "asr_text": join_words(between)}
        implausible = lp["count"] >= int(acfg.get("loop_always_repeats", 8)) and in_audio == 0
        if room or free is None and al.words or implausible:
            e.decision, e.confidence = "applied", 0.9
            e.reason = f"repetition loop ('{lp['phrase']}' x{lp['count']}; {in_audio} in the audio) removed"
        else:
            e.decision, e.confidence = "suggested", 0.55
            e.reason = f"repetition loop ('{lp['phrase']}' x{lp['count']}); the audio has untranscribed time here"
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
    edit.replacement = _with_vendor_edges(toks, right + possessive)
    if toks[0].start is not None:
        edit.start, edit.end = min(edit.start or toks[0].start, toks[0].start), max(edit.end or 0, toks[-1].end)


def _trim(al: Alignment, pc: Piece, span: tuple[int, int, int, int]) -> list[Piece] | None:
    """Split a piece into (before, confusion, after) so that a confirmed confusion is not
    applied together with unrelated differences next to it."""
    va, vb, aa, ab = span
    if va >= vb or aa >= ab:
        return None
    tok_of = [g for g in range(pc.g1, pc.g2) for _ in range(*al.tok_units[g])]
    word_of = [w for w in range(pc.w1, pc.w2) for _ in range(*al.word_units[w])]
    if vb > len(tok_of) or ab > len(word_of):
        return None
    g1, g2 = tok_of[va], tok_of[vb - 1] + 1
    w1, w2 = word_of[aa], word_of[ab - 1] + 1
    if (g1, g2, w1, w2) == (pc.g1, pc.g2, pc.w1, pc.w2):
        return None
    dk = pc.k1 - pc.g1
    out = []
    for a, b, c, d in ((pc.g1, g1, pc.w1, w1), (g1, g2, w1, w2), (g2, pc.g2, w2, pc.w2)):
        if a < b or c < d:
            out.append(Piece(pc.paragraph, a + dk, b + dk, c, d, a, b, pc.cross))
    return out


def _gap_seconds(al: Alignment, pc: Piece) -> float | None:
    """Audio time between the words heard just before and just after a deleted stretch."""
    before = al.words[pc.w1 - 1] if pc.w1 > 0 else None
    after = al.words[pc.w1] if pc.w1 < len(al.words) else None
    if before is None and after is None:
        return None
    if before is None or after is None:
        return 0.0
    return max(0.0, after.start - before.end)


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


def edit_span(par: Paragraph, e: Edit) -> tuple[int, int, str]:
    """Character range an edit rewrites and the text it puts there (deletions take their whitespace)."""
    s, t, r = e.char_start, e.char_end, e.replacement
    if e.kind == "delete":
        nxt = next((tok.offset for tok in par.tokens if tok.offset >= t), None)
        if nxt is not None:
            t = nxt
        else:
            prev = [tok for tok in par.tokens if tok.offset + len(tok.text) <= s]
            s = prev[-1].offset + len(prev[-1].text) if prev else 0
    elif e.kind == "insert":
        if s >= len(par.text.rstrip()):
            r = " " + r
        else:
            r = r + " "
    return s, t, r


def apply_edits(par: Paragraph, edits: list[Edit]) -> tuple[str, list[Token]]:
    """Paragraph text after its applied edits, and its tokens (re-timed inside each edit)."""
    mine = sorted((e for e in edits if e.paragraph == par.index and e.decision == "applied"),
                  key=lambda e: (e.char_start, e.char_end))
    text = par.text
    spans: list[tuple[int, int, int, Edit]] = []  # original s, t, new length
    out, pos = [], 0
    for e in mine:
        s, t, r = edit_span(par, e)
        if s < pos:
            continue  # overlapping edits cannot both apply
        out.append(text[pos:s])
        out.append(r)
        spans.append((s, t, len(r), e))
        pos = t
    out.append(text[pos:])
    new_text = "".join(out)
    if not spans:
        return text, [Token(**vars(t)) for t in par.tokens]
    # Tokens outside the edits map back to the original tokens; inside, they take the edit's time.
    by_offset = {t.offset: t for t in par.tokens}
    placed = []  # (new start, new end, original end, edit)
    shift = 0
    for s0, t0, ln, e in spans:
        placed.append((s0 + shift, s0 + shift + ln, t0, e))
        shift += ln - (t0 - s0)
    tokens: list[Token] = []
    seen: dict[str, int] = {}
    for tk in tokenize(new_text):
        inside = next((e for ns, ne, _, e in placed if ns <= tk.offset < ne), None)
        if inside is not None:
            k = seen[inside.id] = seen.get(inside.id, -1) + 1
            tokens.append(_edit_token(tk, inside, k))
            continue
        orig_offset = tk.offset
        for ns, ne, t0, _ in placed:
            if tk.offset >= ne:
                orig_offset = tk.offset - ne + t0
        orig = by_offset.get(orig_offset)
        if orig is not None and orig.text == tk.text:
            tokens.append(Token(tk.text, tk.offset, orig.start, orig.end, orig.speaker, orig.matched))
        else:  # a token re-formed at an edit boundary
            prev = tokens[-1] if tokens else None
            tokens.append(Token(tk.text, tk.offset, prev.end if prev else None, prev.end if prev else None,
                                prev.speaker if prev else None))
    return new_text, tokens


def _edit_token(tk: Token, e: Edit, k: int) -> Token:
    st = en = None
    if e.start is not None:
        n = max(1, len(tokenize(e.replacement)))
        step = ((e.end if e.end is not None else e.start) - e.start) / n
        st, en = round(e.start + k * step, 3), round(e.start + (k + 1) * step, 3)
    return Token(tk.text, tk.offset, st, en, e.speaker, False)
