"""`callfix diarize AUDIO -o DIR`: diarization.rttm + diarization.json (turns; with --asr, words
labelled with speakers and speakers named)."""
from __future__ import annotations

from pathlib import Path

from callfix.cli.flags import add_config_flags, add_speaker_flags, options_from_args, speaker_overrides
from callfix.diarize.call import diarize_call
from callfix.io.participants import load_participants
from callfix.io.rttm import write_rttm
from callfix.progress import cli_hook


def add_parser(sub) -> None:
    p = sub.add_parser("diarize", help="who spoke when (pyannote): diarization.rttm, diarization.json")
    p.add_argument("audio")
    p.add_argument("-o", "--out", required=True, help="output folder")
    add_speaker_flags(p)
    p.add_argument("--pipeline", help="callfix-default, a local pyannote pipeline (folder or config.yaml), or a hub name")
    p.add_argument("--hub-token", help="token for a hub pipeline (only where the hub is reachable)")
    p.add_argument("--asr", help="asr.json from `callfix transcribe`: label its words and name the speakers")
    p.add_argument("--participants", help="YAML/JSON list of participants (name, role, organization, aliases)")
    add_config_flags(p)
    p.set_defaults(func=run)


def run(args) -> int:
    over = speaker_overrides(args, keep_zero=True)
    over.update({k: v for k, v in {"pipeline": args.pipeline, "hub_token": args.hub_token}.items() if v is not None})
    cfg = options_from_args(args, {"diarize": over} if over else None)
    participants = load_participants(args.participants)
    out = Path(args.out)
    with cli_hook(args.quiet) as hook:
        t = diarize_call(args.audio, out, cfg, args.asr, participants, hook)
    rttm = write_rttm(out / "diarization.rttm", t.turns, uri=Path(args.audio).stem)
    js = t.save(out / "diarization.json")
    named = [f"{s.id}={s.name}" for s in t.speakers if s.name]
    print(f"{len({x.speaker for x in t.turns})} speakers, {len(t.turns)} turns"
          + (f"; named {', '.join(named)}" if named else "") + f" → {rttm}, {js}")
    return 0
