"""Batch re-transcription: manifests, resume, shared cache, local process pool and Ray."""
from callfix.batch.manifest import CallSpec, load_manifest
from callfix.batch.runner import run_batch

__all__ = ["CallSpec", "load_manifest", "run_batch"]
