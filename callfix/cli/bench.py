"""`callfix bench`: score vendor, ASR-only and corrected transcripts against a reference."""
from __future__ import annotations

import shlex
import sys

from callfix.bench.report import to_markdown, write_reports
from callfix.bench.score import score_diarization
from callfix.bench.scoring import SCORINGS, Scorer, file_texts, score_manifest
from callfix.cli.flags import add_config_flags, options_from_args
from callfix.errors import CallfixError


def add_parser(sub) -> None:
    p = sub.add_parser("bench", help="WER/CER/MER, term accuracy, cpWER and DER against a reference",
                       description="Score transcripts of a call against its reference. Reference formats: callfix "
                                   "JSON, plain text, STM, CTM, SegLST JSON, Rev .nlp (with ID.norm.json and "
                                   "ID.wer_tag.json beside it). Hypotheses: callfix JSON (corrected paragraphs if "
                                   "present, else segments), plain text, STM, CTM, SegLST, Rev .nlp.")
    p.add_argument("--ref", help="reference transcript")
    p.add_argument("--vendor", help="the vendor's transcript")
    p.add_argument("--asr", help="the ASR-only transcript (e.g. callfix transcribe output)")
    p.add_argument("--hyp", help="the corrected transcript (e.g. transcript.json of callfix run)")
    p.add_argument("--scoring", choices=list(SCORINGS),
                   help="whisper: Whisper's English normaliser (Open ASR Leaderboard; default); earnings: Rev "
                        "fstalign's rules as in the Earnings-21/22 tables, with the .nlp reference's normalisation "
                        "candidates and entity WER per class")
    p.add_argument("--ref-norm", help="normalisation candidates of an .nlp reference (default: ID.norm.json beside it)")
    p.add_argument("--ref-tags", help="entity classes of an .nlp reference (default: ID.wer_tag.json beside it)")
    p.add_argument("--ref-rttm", help="reference speaker turns (default: the reference's own, if timed)")
    p.add_argument("--hyp-rttm", help="hypothesis speaker turns (default: the corrected transcript's own)")
    p.add_argument("--defects", help="defects.json of a synthetic call: how many injected defects were fixed")
    p.add_argument("--manifest", help="CSV/JSON/JSONL/YAML list of calls: id, ref, vendor, asr, hyp, ref_rttm, "
                                      "hyp_rttm, defects, ref_norm, ref_tags")
    p.add_argument("--glossary", action="append", help="glossary name or YAML for term accuracy "
                                                       "(default: align.glossaries of the config)")
    p.add_argument("--name", help="call name in the report")
    p.add_argument("-o", "--out", help="write bench.md, bench.json and bench.html here")
    add_config_flags(p)
    p.set_defaults(func=run)


def run(args) -> int:
    cfg = options_from_args(args)
    scorer = Scorer.from_config(cfg, args.scoring, args.glossary, file_texts(args.ref, args.vendor))
    command = "callfix " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:2] == ["bench"] else None
    if not scorer.words_only and (args.ref_norm or args.ref_tags):
        raise CallfixError("bench: --ref-norm/--ref-tags are read by --scoring earnings")
    if scorer.words_only and (args.defects or args.ref_rttm or args.hyp_rttm):
        raise CallfixError("bench --scoring earnings scores words only: run DER and defects in the whisper mode")

    if args.manifest:
        if any([args.ref, args.vendor, args.asr, args.hyp]):
            raise CallfixError("--manifest: give the calls in the manifest, not with --ref/--vendor/--asr/--hyp")
        brief = None if args.quiet else (lambda res: print(
            f"{res['call']}: " + ", ".join(_brief(s, r) for s, r in res["sources"].items()), file=sys.stderr))
        print(to_markdown(score_manifest(args.manifest, scorer, args.out, command, brief), command))
        return 0

    if not args.ref and args.ref_rttm and args.hyp_rttm and not any([args.vendor, args.asr, args.hyp]):
        res = score_diarization(args.ref_rttm, args.hyp_rttm, scorer.collars, args.name)
        if args.out:
            write_reports(res, args.out, command=command)
        print(to_markdown(res, command))
        return 0
    if not args.ref:
        raise CallfixError("bench: give --ref (with --vendor/--asr/--hyp/--hyp-rttm), --ref-rttm with --hyp-rttm, "
                           "or --manifest")
    if not any([args.vendor, args.asr, args.hyp, args.hyp_rttm]):
        raise CallfixError("bench: nothing to score: give --vendor, --asr, --hyp or --hyp-rttm")
    res = scorer(args.ref, {"vendor": args.vendor, "asr": args.asr, "corrected": args.hyp}, args.name,
                 args.ref_norm, args.ref_tags, ref_rttm=args.ref_rttm, hyp_rttm=args.hyp_rttm, defects=args.defects)
    if args.out:
        for p in write_reports(res, args.out, command=command):
            if not args.quiet:
                print(f"wrote {p}", file=sys.stderr)
    print(to_markdown(res, command))
    return 0


def _brief(src: str, r: dict) -> str:
    if r.get("wer"):
        return f"{src} WER {100 * r['wer']['rate']:.1f}%" if r["wer"].get("rate") is not None else src
    m = r.get("mer") or {}
    return f"{src} MER {100 * m['rate']:.1f}%" if m.get("rate") is not None else src
