"""The call's structure as evidence about speakers, applied to the diarization turns.

Two cues that voices alone miss:

* **Language.** In an interpreted call the Mandarin speaker is not the English interpreter, yet
  their voices (one after the other, same line, same codec) often land in one cluster. A cluster
  that holds long single-language turns in two languages is taken to be two speakers: the turns of
  its smaller language move to a new speaker label.
* **Operator hand-overs.** "Our next question comes from the line of …" ends the operator's turn.
  When one diarization turn runs on past the hand-over sentence, it is cut at the next word: the
  part after goes to another speaker than the operator's.

Both read the ASR words (their ``language`` and times) and change only turn labels and turn
boundaries; every second of speech keeps a turn.
"""
from __future__ import annotations

import bisect
import re
from collections import defaultdict
from dataclasses import dataclass, field

from callfix.diarize.naming import OPERATOR_INTRO, OPERATOR_STRONG
from callfix.model import Turn, Word
from callfix.options import StructureOptions


@dataclass
class StructureReport:
    """What was changed, for the transcript's meta and the review page."""

    language_splits: list[dict] = field(default_factory=list)
    handover_cuts: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"language_splits": self.language_splits, "handover_cuts": self.handover_cuts}


def refine_turns(turns: list[Turn], words: list[Word], opts: StructureOptions | None = None
                 ) -> tuple[list[Turn], StructureReport]:
    """Turns with the call's structure applied; the input list is not modified."""
    opts = opts or StructureOptions()
    report = StructureReport()
    out = [Turn(t.speaker, t.start, t.end) for t in turns]
    words = sorted((w for w in words if w.text.strip()), key=lambda w: w.start)
    if not out or not words:
        return out, report
    if opts.split_handovers:
        out = cut_at_handovers(out, words, opts, report)
    if opts.split_languages:
        out = split_by_language(out, words, opts, report)
    return sorted(out, key=lambda t: (t.start, t.end)), report


def _language_time(turn: Turn, words: list[Word]) -> dict[str, float]:
    """Seconds of each language among the words whose middle falls inside the turn."""
    time: dict[str, float] = defaultdict(float)
    for w in words:
        mid = (w.start + w.end) / 2
        if turn.start <= mid < turn.end:
            time[w.language] += max(w.end - w.start, 0.02)
    return time


def _new_label(used: set[str]) -> str:
    n = 0
    while f"SPEAKER_{n:02d}" in used:
        n += 1
    return f"SPEAKER_{n:02d}"


def cut_at_language_changes(turns: list[Turn], words: list[Word], opts: StructureOptions) -> list[Turn]:
    """A turn whose words change language for good (runs of at least half a long turn on each
    side) is cut at the change, keeping its label: an interpreter who follows the speaker after a
    breath is often one turn with them, and a two-language turn would count for neither language."""
    shortest = opts.language_turn_seconds / 2
    starts = [w.start for w in words]
    out = []
    for t in turns:
        inside = [w for w in words[bisect.bisect_left(starts, t.start - 30.0):bisect.bisect_left(starts, t.end)]
                  if t.start <= (w.start + w.end) / 2 < t.end]
        runs: list[list[Word]] = []
        for w in inside:
            if runs and runs[-1][0].language == w.language:
                runs[-1].append(w)
            else:
                runs.append([w])
        # a short stretch in the other language (a name, a term) belongs to the run around it
        merged: list[list[Word]] = []
        for r in runs:
            if merged and (r[-1].end - r[0].start < shortest or merged[-1][0].language == r[0].language):
                merged[-1].extend(r)
            else:
                merged.append(r)
        if len(merged) > 1 and merged[0][-1].end - merged[0][0].start < shortest:
            first = merged.pop(0)
            merged[0][:0] = first
        start = t.start
        for a, b in zip(merged, merged[1:]):
            if a[0].language != b[0].language:
                cut = (a[-1].end + b[0].start) / 2
                out.append(Turn(t.speaker, start, cut))
                start = cut
        out.append(Turn(t.speaker, start, t.end))
    return out


def split_by_language(turns: list[Turn], words: list[Word], opts: StructureOptions,
                      report: StructureReport | None = None) -> list[Turn]:
    turns = cut_at_language_changes(turns, words, opts)
    langs = [_language_time(t, words) for t in turns]
    long_time: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for t, lt in zip(turns, langs):
        spoken = sum(lt.values())
        if t.end - t.start < opts.language_turn_seconds or not spoken:
            continue
        lang, secs = max(lt.items(), key=lambda kv: kv[1])
        if secs >= opts.language_purity * spoken:
            long_time[t.speaker][lang] += t.end - t.start
    used = {t.speaker for t in turns}
    out = list(turns)
    for spk in sorted(long_time):
        per = {lang: s for lang, s in long_time[spk].items() if s >= opts.language_min_seconds}
        if len(per) < 2:
            continue
        # The cluster's main language keeps the label; each other language becomes a speaker of its own.
        main = max(per, key=lambda lang: (per[lang], lang))
        for lang in sorted(set(per) - {main}):
            if not opts.may_add(used):
                break
            label = _new_label(used)
            used.add(label)
            moved = 0.0
            for i, (t, lt) in enumerate(zip(turns, langs)):
                if t.speaker == spk and lt and max(lt, key=lambda k: (lt[k], k)) == lang:
                    out[i] = Turn(label, t.start, t.end)
                    moved += t.end - t.start
            if report is not None:
                report.language_splits.append({"speaker": spk, "kept_language": main, "language": lang,
                                               "new_speaker": label, "seconds": round(moved, 1)})
    return out


_SENTENCE_END = re.compile(r"[.?!\u3002\uff1f\uff01][\"'\u201d\u2019)]*$")


def sentences(words: list[Word]) -> list[list[Word]]:
    """Words grouped into sentences at sentence-final punctuation."""
    out, cur = [], []
    for w in words:
        cur.append(w)
        if _SENTENCE_END.search(w.text.strip()):
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def _is_handover(text: str) -> bool:
    return bool(OPERATOR_INTRO.search(text) or _GO_AHEAD.search(text))


_GO_AHEAD = re.compile(r"(?i)\b(?:please\s+go\s+ahead|your\s+line\s+is\s+(?:now\s+)?(?:open|live))\b")


def _operator(turns: list[Turn], sents: list[list[Word]]) -> str | None:
    """The cluster that says the operator's script most often (a run of script sentences is one vote)."""
    votes: dict[str, int] = defaultdict(int)
    prev = False
    for s in sents:
        script = _is_operator_line(" ".join(w.text.strip() for w in s))
        if script and not prev:
            spk = _speaker_over(turns, s[0].start, s[-1].end)
            if spk:
                votes[spk] += 1
        prev = script
    return max(votes, key=lambda k: (votes[k], k)) if votes else None


def _speaker_over(turns: list[Turn], start: float, end: float) -> str | None:
    best, best_ov = None, 0.0
    for t in turns:
        ov = min(end, t.end) - max(start, t.start)
        if ov > best_ov:
            best, best_ov = t.speaker, ov
    return best


def cut_at_handovers(turns: list[Turn], words: list[Word], opts: StructureOptions,
                     report: StructureReport | None = None) -> list[Turn]:
    sents = sentences(words)
    operator = _operator(turns, sents)
    if operator is None:
        return turns
    used = {t.speaker for t in turns}
    out = list(turns)
    k = 0
    while k < len(sents):
        text = " ".join(w.text.strip() for w in sents[k])
        if not _is_handover(text):
            k += 1
            continue
        # "… comes from the line of X of Citi. Please go ahead.": the block ends after its last sentence
        last = k
        while last + 1 < len(sents) and _is_operator_line(" ".join(w.text.strip() for w in sents[last + 1])):
            last += 1
        k = last + 1
        if k >= len(sents):
            break
        end, cut = sents[last][-1].end, sents[k][0].start  # the next sentence's first word: the new speaker's
        if cut - end > 5.0:
            continue
        for i, t in enumerate(out):
            # one turn holds both the hand-over's end and speech well after it
            if t.start < end - 0.2 and t.start < cut and t.end > cut + opts.handover_min_after:
                if t.speaker == operator:
                    if not opts.may_add(used):
                        break
                    label = _new_label(used)
                    used.add(label)
                    before, after = Turn(operator, t.start, cut), Turn(label, cut, t.end)
                else:
                    before, after = Turn(operator, t.start, cut), Turn(t.speaker, cut, t.end)
                out[i:i + 1] = [before, after]
                if report is not None:
                    report.handover_cuts.append({"at": round(cut, 3), "operator": operator,
                                                 "after": after.speaker, "text": text[-80:]})
                break
    return out


def _is_operator_line(text: str) -> bool:
    return bool(_is_handover(text) or OPERATOR_STRONG.search(text))
