"""`callfix batch MANIFEST -o OUT`: re-transcribe many calls, resumably, locally or on Ray."""
from __future__ import annotations

import sys

from callfix.batch.runner import run_batch
from callfix.cli.flags import add_config_flags, config_from_args


def add_parser(sub) -> None:
    p = sub.add_parser(
        "batch",
        help="run many calls from a manifest (CSV/JSONL), resumable, local pool or Ray",
        description="Run every call of MANIFEST into OUT/<call id>/. A re-run skips finished calls and redoes "
        "unfinished or changed ones. Writes OUT/summary.csv; exits 1 if any call failed.",
    )
    p.add_argument("manifest", help="CSV or JSONL: audio, transcript[, reference, id, languages, glossary, speakers, participants, set]")
    p.add_argument("-o", "--out", required=True, help="output folder (one sub-folder per call)")
    p.add_argument("--workers", type=int, default=None,
                   help="parallel workers (processes or Ray actors); 0 runs calls inside this process (default: batch.workers)")
    p.add_argument("--executor", choices=["local", "ray"], default=None, help="local process pool or Ray (default: batch.executor)")
    p.add_argument("--ray-address", default=None,
                   help="existing Ray cluster (ray://head:10001, head:6379 or auto); default: RAY_ADDRESS or a private local Ray")
    p.add_argument("--cache", default=None, help="stage cache folder (default: OUT/.cache)")
    p.add_argument("--force", action="store_true", help="redo calls even if finished (stage caches still apply)")
    add_config_flags(p)
    p.set_defaults(func=run)


def run(args) -> int:
    cfg = config_from_args(args)
    results = run_batch(
        args.manifest, args.out, cfg, workers=args.workers, executor=args.executor, ray_address=args.ray_address,
        cache_dir=args.cache, force=args.force, quiet=args.quiet,
    )
    failed = [r for r in results if r.status == "failed"]
    counts = {s: sum(1 for r in results if r.status == s) for s in ("done", "skipped", "failed")}
    print(f"callfix batch: {counts['done']} done, {counts['skipped']} already finished, {counts['failed']} failed "
          f"-> {args.out}/summary.csv", file=sys.stderr)
    return 1 if failed else 0
