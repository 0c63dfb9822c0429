"""`callfix diarize AUDIO -o DIR`: diarization.rttm + diarization.json (turns; with --asr, words
labelled with speakers and speakers named)."""
from __future__ import annotations

from pathlib import Path


def add_parser(sub) -> None:
    from callfix.cli import add_config_flags

    p = sub.add_parser("diarize", help="who spoke when (pyannote): diarization.rttm, diarization.json")
    p.add_argument("audio")
    p.add_argument("-o", "--out", required=True, help="output folder")
    p.add_argument("--num-speakers", type=int, help="exact number of speakers, when known")
    p.add_argument("--min-speakers", type=int)
    p.add_argument("--max-speakers", type=int)
    p.add_argument("--pipeline", help="callfix-default, a local pyannote pipeline (folder or config.yaml), or a hub name")
    p.add_argument("--hub-token", help="token for a hub pipeline (only where the hub is reachable)")
    p.add_argument("--asr", help="asr.json from `callfix transcribe`: label its words and name the speakers")
    p.add_argument("--participants", help="YAML/JSON list of participants (name, role, organization, aliases)")
    add_config_flags(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from callfix.audio import decode
    from callfix.cli import config_from_args
    from callfix.diarize import assign_speakers, name_speakers
    from callfix.diarize.pipeline import diarize_audio
    from callfix.diarize.rttm import write_rttm
    from callfix.errors import InputError
    from callfix.model import Transcript
    from callfix.pipeline import load_participants

    over = {k: v for k, v in {
        "num_speakers": args.num_speakers, "min_speakers": args.min_speakers, "max_speakers": args.max_speakers,
        "pipeline": args.pipeline, "hub_token": args.hub_token,
    }.items() if v is not None}
    cfg = config_from_args(args, {"diarize": over} if over else None)
    # Read every input before any model runs: a bad --asr or participants file fails fast.
    t = Transcript.load(args.asr) if args.asr else None
    participants = load_participants(args.participants)
    out = Path(args.out)
    audio = decode(args.audio, out, cfg["audio"]["max_duration_hours"])
    turns = diarize_audio(audio, cfg, progress=False if args.quiet else None)
    if t is None:
        t = Transcript(audio=str(args.audio), duration=audio.duration)
    elif t.duration and abs(t.duration - audio.duration) > max(2.0, 0.05 * audio.duration):
        raise InputError(f"{args.asr}: transcript covers {t.duration:.1f} s but {args.audio} lasts {audio.duration:.1f} s")
    t.turns = turns
    if t.segments or t.paragraphs:
        assign_speakers(t, cfg["diarize"])
        turns = t.turns  # refined by the call's structure
    name_speakers(t, participants)
    t.meta.setdefault("diarize", {})["pipeline"] = cfg["diarize"].get("pipeline")
    rttm = write_rttm(out / "diarization.rttm", turns, uri=Path(args.audio).stem)
    js = t.save(out / "diarization.json")
    named = [f"{s.id}={s.name}" for s in t.speakers if s.name]
    print(f"{len({x.speaker for x in turns})} speakers, {len(turns)} turns"
          + (f"; named {', '.join(named)}" if named else "") + f" → {rttm}, {js}")
    return 0
