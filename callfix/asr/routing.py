"""Language routing for calls that switch between English and Mandarin.

The VAD (callfix/asr/vad.py) cuts speech twice: into chunks (decoder windows are built from these)
and, finer, into *pieces* at the short pauses between turns. Neighbouring chunks are grouped up to 30 s (one
encoder window); that window is encoded once, and every piece in it is identified from its own
frames of the encoder output, restricted to the allowed languages. A group whose pieces share one
language is decoded whole, reusing the encoder pass; a group holding a language change is split
there, so no decoder unit mixes Mandarin and English under one label.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from callfix.asr.vad import split_long, widen
from callfix.audio import Audio


@dataclass
class Unit:
    """A span of speech sent to the decoder in one language."""

    start: float
    end: float
    chunks: list[tuple[float, float]] = field(default_factory=list)
    language: str | None = None
    language_prob: float = 0.0
    pieces: list[tuple[float, float]] = field(default_factory=list)  # the speech it must cover
    sure: list[bool] = field(default_factory=list)  # per piece: its language was clear (no need to ask again)
    retry: bool = False  # decoded again after its first decoding failed the check


def group(chunks: list[tuple[float, float]], max_seconds: float) -> list[Unit]:
    units: list[Unit] = []
    for s, e in chunks:
        if units and e - units[-1].start <= max_seconds:
            units[-1].end = e
            units[-1].chunks.append((s, e))
        else:
            units.append(Unit(s, e, [(s, e)]))
    return units


def pick_language(probs: dict[str, float], allowed: list[str], aliases: dict | None = None) -> tuple[str, float]:
    """Best allowed language and its probability renormalised over the allowed set.

    Whisper often labels Mandarin chunks Thai, Khmer or Vietnamese with zh near zero, so the
    probability of a language's configured look-alikes counts towards that language.
    """
    aliases = aliases or {}
    scores = {lang: probs.get(lang, 0.0) + sum(probs.get(x, 0.0) for x in aliases.get(lang, [])) for lang in allowed}
    total = sum(scores.values())
    lang = max(scores, key=scores.get)
    return lang, (scores[lang] / total if total > 0 else 1.0 / len(allowed))


def pieces_of(chunks: list[tuple[float, float]], fine: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """The fine spans inside each chunk (clipped to it); a chunk with none is its own piece."""
    out: list[list[tuple[float, float]]] = [[] for _ in chunks]
    j = 0
    for s, e in fine:
        mid = (s + e) / 2
        while j < len(chunks) - 1 and chunks[j][1] < mid:
            j += 1
        cs, ce = chunks[j]
        if cs <= mid <= ce and min(e, ce) > max(s, cs):
            out[j].append((max(s, cs), min(e, ce)))
    return [ps or [c] for ps, c in zip(out, chunks)]


@dataclass
class LidOptions:
    allowed: list[str]
    max_seconds: float = 30.0
    confident: float = 0.9        # a piece at or above this keeps its own language
    slice_confident: float = 0.97  # below this a piece's share of the window's pass is checked on its own
    min_piece_seconds: float = 1.0  # shorter pieces are too little audio to overrule their neighbours
    island_seconds: float = 5.0  # a piece this short against its window's language is checked on its own
    aliases: dict | None = None
    lead_seconds: float = 1.0  # a group's decoder window starts this much before its first speech
    passes: int = 0  # encoder passes spent on pieces the shared pass left in doubt


def smooth(labels: list[tuple[str, float]], durations: list[float], fallback: tuple[str, float],
           opt: LidOptions) -> list[tuple[str, float]]:
    """Weak pieces (short or unsure) take the language of the nearest strong piece, else the window's."""
    strong = [i for i, ((_, p), d) in enumerate(zip(labels, durations))
              if p >= opt.confident and d >= opt.min_piece_seconds]
    if not strong:
        return [fallback] * len(labels)
    out = []
    for i, lab in enumerate(labels):
        if i in strong:
            out.append(lab)
            continue
        before = [k for k in strong if k < i]
        after = [k for k in strong if k > i]
        sides = [labels[before[-1]][0]] if before else []
        sides += [labels[after[0]][0]] if after else []
        if lab[0] in sides:  # at a change of language a short piece joins the side it sounds like
            out.append(lab)
            continue
        near = min(strong, key=lambda k: (abs(k - i), k > i))  # ties: the piece before (a turn goes on)
        out.append((labels[near][0], 1 - lab[1] if len(opt.allowed) == 2 else labels[near][1]))
    return out


def route(audio: Audio, chunks, backend, opt: LidOptions,
          fine: list[tuple[float, float]] | None = None) -> Iterator[Unit]:
    """Decoder units, each in one language, yielded as soon as their group is identified (so the
    backend can reuse the group's encoder pass when the unit is the whole group)."""
    fine = fine if fine is not None else chunks
    chunks = split_long(widen(chunks, fine, 0.0), fine, opt.max_seconds)  # every piece inside a chunk
    per_chunk = pieces_of(chunks, fine)
    index = {c: i for i, c in enumerate(chunks)}
    before = 0.0
    for g in group(chunks, opt.max_seconds):
        # A turn's first words can be too faint for the VAD: the decoder hears up to a second more
        # of the pause before the group, within one window and not into the group before.
        g.start = max(before, g.start - min(opt.lead_seconds, opt.max_seconds - (g.end - g.start)))
        before = g.end
        pieces = [p for c in g.chunks for p in per_chunk[index[c]]]
        if len(opt.allowed) == 1:
            g.language, g.language_prob, g.pieces = opt.allowed[0], 1.0, pieces
            yield g
        else:
            yield from split_group(audio, g, pieces, backend, opt)


def split_group(audio: Audio, g: Unit, pieces, backend, opt: LidOptions) -> Iterator[Unit]:
    whole, per = backend.language_spans(audio.window(g.start, g.end), [(s - g.start, e - g.start) for s, e in pieces])
    fallback = pick_language(whole, opt.allowed, opt.aliases)
    labels = [pick_language(p, opt.allowed, opt.aliases) for p in per]
    sure = [False] * len(pieces)
    for i, ((s, e), (lang, p)) in enumerate(zip(pieces, labels)):
        # A piece of one language inside a window of the other comes out of the shared pass unsure or
        # as some third language (English as Tagalog, Japanese, Welsh...). Its own encoder pass decides
        # where that doubt could move a language boundary: the piece disagrees with its window, the
        # window is unsure itself, or the other allowed language leads the piece. Doubts that agree
        # with a confident window are left to the check after decoding. A short piece's share of the
        # shared pass can be sure and wrong ("please go ahead" as zh at 0.97 in an English window, zh
        # under 0.05 on its own audio): one against its window's language is checked on its own too.
        top = max(per[i], key=per[i].get) if per[i] else None
        doubtful = p < opt.slice_confident or top not in opt.allowed
        island = lang != fallback[0] and e - s < opt.island_seconds
        matters = lang != fallback[0] or fallback[1] < opt.confident or (top in opt.allowed and top != lang)
        if (doubtful or island) and matters and e - s >= opt.min_piece_seconds:
            opt.passes += 1
            labels[i] = pick_language(backend.stretch_language(audio.window(s, e)), opt.allowed, opt.aliases)
        sure[i] = labels[i][1] >= opt.slice_confident and (not doubtful or matters)
    labels = smooth(labels, [e - s for s, e in pieces], fallback, opt)
    runs: list[list[int]] = []
    for i, (lang, _) in enumerate(labels):
        if runs and labels[runs[-1][-1]][0] == lang:
            runs[-1].append(i)
        else:
            runs.append([i])
    if len(runs) == 1:
        g.language = labels[0][0]
        g.language_prob = min(p for _, p in labels)
        g.pieces, g.sure = list(pieces), sure
        yield g
        return
    for k, run in enumerate(runs):
        start = g.start if k == 0 else _cut(pieces[runs[k - 1][-1]], pieces[run[0]])
        end = g.end if k == len(runs) - 1 else _cut(pieces[run[-1]], pieces[runs[k + 1][0]])
        ps = [pieces[i] for i in run]
        yield Unit(start, end, [c for c in g.chunks if c[1] > start and c[0] < end], labels[run[0]][0],
                   min(labels[i][1] for i in run), ps, [sure[i] for i in run])


def _cut(before: tuple[float, float], after: tuple[float, float]) -> float:
    """Where one unit ends and the next begins: where the piece before ends (padded by the VAD).

    The pause goes to the unit after it: Silero is late at a turn's onset (on phone audio a
    turn's first words can score under 0.15) and lingers after its end, so speech it missed in
    a pause is more likely the next turn's start than the last turn's end.
    """
    return min(max(before[1], (before[1] + after[0]) / 2 - 0.25), after[0])
