"""`callfix bench`: score vendor, ASR-only and corrected transcripts against a reference."""
from __future__ import annotations

import shlex
import sys
from pathlib import Path


def add_parser(sub) -> None:
    from callfix.cli import add_config_flags

    p = sub.add_parser("bench", help="WER/CER/MER, term accuracy, cpWER and DER against a reference",
                       description="Score transcripts of a call against its reference. Reference formats: callfix "
                                   "JSON, plain text, STM, SegLST JSON, Rev .nlp (with ID.norm.json and "
                                   "ID.wer_tag.json beside it). Hypotheses: callfix JSON (corrected paragraphs if "
                                   "present, else segments), plain text, STM, SegLST, Rev .nlp.")
    p.add_argument("--ref", help="reference transcript")
    p.add_argument("--vendor", help="the vendor's transcript")
    p.add_argument("--asr", help="the ASR-only transcript (e.g. callfix transcribe output)")
    p.add_argument("--hyp", help="the corrected transcript (e.g. transcript.json of callfix run)")
    p.add_argument("--scoring", choices=["whisper", "earnings"],
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
    from callfix.align.glossary import company_glossaries, load_glossaries
    from callfix.bench.manifest import pooled, read_manifest
    from callfix.bench.report import to_markdown, write_reports
    from callfix.bench.score import score_files
    from callfix.cli import config_from_args
    from callfix.errors import CallfixError

    cfg = config_from_args(args)
    bcfg = cfg.get("bench", {})
    names = list(args.glossary or cfg.get("align", {}).get("glossaries") or [])
    if not args.glossary and cfg.get("align", {}).get("company_glossaries", True):
        names += company_glossaries(_texts(getattr(args, "ref", None), getattr(args, "vendor", None)))
    g = load_glossaries(names)
    terms = [*g.terms, *g.names]
    collars = [float(c) for c in bcfg.get("collars", [0.25, 0.0])]
    top = int(bcfg.get("top_confusions", 10))
    command = "callfix " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:2] == ["bench"] else None
    scoring = args.scoring or bcfg.get("scoring") or "whisper"
    if scoring not in ("whisper", "earnings"):
        raise CallfixError(f"bench.scoring: {scoring!r} is not whisper or earnings")
    if scoring != "earnings" and (args.ref_norm or args.ref_tags):
        raise CallfixError("bench: --ref-norm/--ref-tags are read by --scoring earnings")
    if scoring == "earnings" and (args.defects or args.ref_rttm or args.hyp_rttm):
        raise CallfixError("bench --scoring earnings scores words only: run DER and defects in the whisper mode")

    def score(ref, hyps, name, norm=None, tags=None, **kw):
        if scoring == "earnings":
            from callfix.bench import earnings

            rules = earnings.Rules(hyphen_synonyms=bool(bcfg.get("hyphen_synonyms", False)))
            return earnings.score_files(ref, hyps, name, norm, tags, top, rules)
        return score_files(ref, hyps, terms, kw.get("ref_rttm"), kw.get("hyp_rttm"), collars, top, name,
                           kw.get("defects"))

    if args.manifest:
        if any([args.ref, args.vendor, args.asr, args.hyp]):
            raise CallfixError("--manifest: give the calls in the manifest, not with --ref/--vendor/--asr/--hyp")
        calls = read_manifest(args.manifest)
        results = []
        for c in calls:
            if scoring == "earnings" and any(c.get(k) for k in ("defects", "ref_rttm", "hyp_rttm")):
                raise CallfixError(f"{args.manifest}: {c['id']}: --scoring earnings scores words only "
                                   "(no defects or RTTM columns)")
            res = score(c["ref"], {"vendor": c.get("vendor"), "asr": c.get("asr"), "corrected": c.get("hyp")},
                        c["id"], c.get("ref_norm"), c.get("ref_tags"), ref_rttm=c.get("ref_rttm"),
                        hyp_rttm=c.get("hyp_rttm"), defects=c.get("defects"))
            results.append(res)
            if args.out:
                write_reports(res, Path(args.out) / c["id"])
            if not args.quiet:
                print(f"{c['id']}: " + ", ".join(_brief(s, r) for s, r in res["sources"].items()), file=sys.stderr)
        total = pooled(results)
        total["per_call"] = [{"call": r["call"], **{s: {m: (v.get(m) or {}).get("rate") for m in ("wer", "wer_en", "cer_zh", "mer")
                                                         if v.get(m)}
                                                     for s, v in r["sources"].items()}} for r in results]
        if args.out:
            write_reports(total, args.out, "summary", command)
        print(to_markdown(total, command))
        return 0

    if not args.ref and args.ref_rttm and args.hyp_rttm and not any([args.vendor, args.asr, args.hyp]):
        from callfix.bench.score import score_diarization

        res = score_diarization(args.ref_rttm, args.hyp_rttm, collars, args.name)
        if args.out:
            write_reports(res, args.out, command=command)
        print(to_markdown(res, command))
        return 0
    if not args.ref:
        raise CallfixError("bench: give --ref (with --vendor/--asr/--hyp/--hyp-rttm), --ref-rttm with --hyp-rttm, "
                           "or --manifest")
    if not any([args.vendor, args.asr, args.hyp, args.hyp_rttm]):
        raise CallfixError("bench: nothing to score: give --vendor, --asr, --hyp or --hyp-rttm")
    res = score(args.ref, {"vendor": args.vendor, "asr": args.asr, "corrected": args.hyp}, args.name,
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


def _texts(*paths) -> str:
    """The raw text of the files given, to find which company the call is about."""
    out = []
    for p in paths:
        try:
            out.append(Path(p).read_text(encoding="utf-8", errors="replace")[:200_000] if p else "")
        except OSError:
            pass
    return "\n".join(out)
