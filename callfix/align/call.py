"""align_call: merge a vendor transcript into the audio evidence, with timed tokens and edits."""
from __future__ import annotations

import copy
import sys
import time
from collections import Counter
from dataclasses import replace

from callfix.align.correct import build_edits
from callfix.align.callglossary import glossary_for
from callfix.align.glossary import Glossary
from callfix.text import cjk_share
from callfix.text import apply_edits
from callfix.align.timing import build_alignment, flat_words, time_tokens
from callfix.model import ParagraphFlag, Transcript
from callfix.options import AlignOptions, Options, section


def align_call(evidence: Transcript, vendor: Transcript, cfg: AlignOptions | Options | dict,
               glossary: Glossary | None = None, verifier=None) -> Transcript:
    """Evidence (ASR words, turns, speakers) merged with the vendor paragraphs, timed and corrected.

    ``cfg``: the align options (or the options, or a whole config dict). ``verifier`` (an AcousticVerifier)
    weighs each English edit's wordings against the audio."""
    opts = section(cfg, AlignOptions)
    t0 = time.perf_counter()
    out = _copy(evidence, vendor)
    gl = glossary if glossary is not None else glossary_for(vendor, opts)
    words = flat_words(out)
    al = build_alignment(out.paragraphs, words, opts.anchor_ngram, opts.loop_min_repeats)
    time_tokens(al, out.turns, float(opts.max_interp_gap))
    info = {
        "vendor_units": max(al.total_units, len(al.vendor_units)), "asr_units": len(al.asr_units),
        "asr_words": len(words),
        "coverage": round(al.coverage, 4), "asr_coverage": round(al.asr_coverage, 4),
        "glossaries": gl.sources, "warning": None,
    }
    min_cov = float(opts.min_coverage)
    if not words:
        info["warning"] = "no speech recognised in the audio: vendor text kept, every paragraph unverified"
        for p in out.paragraphs:
            _flag(p, "unverified")
    elif al.coverage < min_cov:
        if al.asr_coverage >= 0.5:
            what = (f"the audio matches only {al.coverage:.0%} of the vendor transcript (min_coverage "
                    f"{min_cov:.0%}), though {al.asr_coverage:.0%} of the audio matches it: a clip of the call?")
        else:
            what = (f"only {al.coverage:.0%} of the vendor transcript matches the audio (min_coverage "
                    f"{min_cov:.0%}): it looks like a transcript of a different call")
        info["warning"] = what + "; no edits applied"
        for p in out.paragraphs:
            _flag(p, "unverified")
    else:
        out.edits = build_edits(al, gl, opts)
        if verifier is not None:
            tv = time.perf_counter()
            info["verify"] = {**verifier(al.words, out.edits, gl, opts, out.paragraphs, out.header),
                              "seconds": round(time.perf_counter() - tv, 3)}
    _paragraph_facts(out, al, opts)
    by_paragraph = _edits_by_paragraph(out.edits)
    for p in out.paragraphs:
        p.corrected, _ = apply_edits(p, by_paragraph.get(p.index, []))
    counts = Counter(e.decision for e in out.edits)
    info["flags"] = dict(Counter(f for p in out.paragraphs for f in p.flags))
    info.update({"edits": len(out.edits), "applied": counts["applied"], "suggested": counts["suggested"],
                 "kept": counts["kept"], "seconds": round(time.perf_counter() - t0, 3)})
    out.meta["align"] = info
    if info["warning"]:
        name = vendor.meta.get("vendor", {}).get("path", "vendor transcript")
        print(f"callfix: warning: {name}: {info['warning']}", file=sys.stderr)
    return out


def _copy(evidence: Transcript, vendor: Transcript) -> Transcript:
    """The evidence with fresh words and the vendor paragraphs (deepcopy is slow on 10k words)."""
    segs = [replace(s, words=[replace(w) for w in s.words]) for s in evidence.segments]
    paras = [replace(p, tokens=[replace(k) for k in p.tokens], speakers=list(p.speakers), flags=list(p.flags))
             for p in vendor.paragraphs]
    return Transcript(
        audio=evidence.audio, duration=evidence.duration, languages=list(evidence.languages), segments=segs,
        turns=[replace(x) for x in evidence.turns], speakers=copy.deepcopy(evidence.speakers), paragraphs=paras,
        edits=[], header=list(vendor.header),
        meta={**copy.deepcopy(evidence.meta), **{k: copy.deepcopy(v) for k, v in vendor.meta.items() if k == "vendor"}},
    )


def _flag(p, flag: ParagraphFlag) -> None:
    if flag not in p.flags:
        p.flags.append(flag)


def _edits_by_paragraph(edits) -> dict[int, list]:
    """Each paragraph's edits in their list order (one pass, not one scan of every edit per paragraph)."""
    out: dict[int, list] = {}
    for e in edits:
        out.setdefault(e.paragraph, []).append(e)
    return out


def _paragraph_facts(t: Transcript, al, opts: AlignOptions) -> None:
    zh_ratio = float(opts.mandarin_ratio)
    by_paragraph = _edits_by_paragraph(t.edits)
    par_words: dict[int, set[int]] = {}
    for u, w in enumerate(al.assigned):
        if w >= 0:
            par_words.setdefault(al.toks[al.unit_token[u]][0], set()).add(w)
    for pi, p in enumerate(t.paragraphs):
        timed = [k for k in p.tokens if k.start is not None]
        if timed:
            p.start = min(k.start for k in timed)
            p.end = max(k.end for k in timed)
        spk = Counter(k.speaker for k in p.tokens if k.speaker)
        total = sum(spk.values())
        held: Counter = Counter()
        for k in p.tokens:
            if k.speaker and k.start is not None and k.end is not None:
                held[k.speaker] += max(0.0, k.end - k.start)
        # The paragraph's speaker (first) is who holds most of its speech time; others follow.
        order = sorted((s for s in spk if spk[s] >= 0.15 * total or spk[s] >= 8),
                       key=lambda s: (-held[s], -spk[s]))
        p.speakers = order
        ws = [al.words[w] for w in sorted(par_words.get(pi, ()))]
        if ws:
            zh = sum(1 for w in ws if w.language == "zh") / len(ws)
            p.language = "zh" if zh >= zh_ratio else "en"
        else:
            p.language = "zh" if cjk_share(p.text) > 0.5 else "en"
        mine = by_paragraph.get(p.index, [])
        mt = [e for e in mine if e.kind == "resource"]
        if mt:
            _flag(p, "machine_translation")
            if any(e.char_start == 0 and e.char_end == len(p.text) for e in mt):
                p.language = "zh"
            p.source_text = "\n".join(e.replacement for e in mt)
        deleted = [e for e in mine if e.kind == "delete" and e.decision != "kept"]
        if deleted and sum(e.char_end - e.char_start for e in deleted) >= 0.9 * len(p.text.strip()):
            _flag(p, "not_in_audio")
        if timed and not any(k.matched for k in p.tokens) and not mt and "not_in_audio" not in p.flags:
            _flag(p, "unverified")
