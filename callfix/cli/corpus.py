"""`callfix corpus synth SCRIPT.yaml -o DIR`: build a synthetic call from its script."""
from __future__ import annotations

from callfix.corpus.synth import build_call
from callfix.progress import cli_hook


def add_parser(sub) -> None:
    p = sub.add_parser("corpus", help="build synthetic test calls")
    csub = p.add_subparsers(dest="corpus_command", metavar="ACTION")
    s = csub.add_parser("synth", help="synthesise a call script into audio, reference and a flawed vendor transcript")
    s.add_argument("script", help="call script (YAML): speakers with voices, one line per paragraph")
    s.add_argument("-o", "--out", required=True, help="output folder")
    s.add_argument("--channel", help="build the call as heard on this channel: clean, phone (300-3400 Hz, "
                                      "-30 dBFS noise, 8 kHz mu-law) or one of the script's `channels:`; "
                                      "default: the script's `channel:`")
    s.add_argument("--clip-cache", help="folder keeping each line's clip: every channel and rebuild of a call "
                                         "then hears the same speech (Piper varies from run to run)")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    s.set_defaults(func=synth)
    p.set_defaults(func=lambda args: p.print_help() or 2)


def synth(args) -> int:
    with cli_hook(args.quiet) as hook:
        written = build_call(args.script, args.out, hook, channel=args.channel, clip_cache=args.clip_cache)
    for role, path in written.items():
        print(f"{role:10s} {path}")
    return 0
