"""atheris (libFuzzer for Python) over the entry points where bytes cross from Python into the
native parsers: siperb.sip.parse plus every accessor of what parses (typed headers are parsed
when first read), the stream framer, SIP URIs, SDP, RTP/RTCP, telephone-events, the INFO and
sipfrag bodies, and the router's 400 builder for unparseable requests.

Usage: python fuzz/python/fuzz_boundary.py ENTRY CORPUS_DIR [libFuzzer flags...]

Anything but a ``siperb.errors`` exception escaping an entry point is a finding: atheris prints
the traceback, writes the input under -artifact_prefix and exits non-zero, which fails
``make fuzz``. The entry points and their seeds are the ones tests/unit/test_parse_boundary.py
runs under hypothesis (one list, two drivers); the corpus directory gets the seeds when empty.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "unit"))

with atheris.instrument_imports(include=["siperb", "test_parse_boundary"]):
    import test_parse_boundary as boundary
    from siperb.sip.router import bad_request_for


def bad_request(data: bytes) -> None:
    """The router answers unparseable requests from their raw headers: it must never raise."""
    response = bad_request_for(data, data[:60].decode("latin-1"))
    if response is not None:
        bytes(response)


ENTRY_POINTS = dict(boundary.ENTRY_POINTS)
ENTRY_POINTS["bad-request"] = (bad_request, boundary.SIP_SEEDS)


def main() -> None:
    if len(sys.argv) < 3 or sys.argv[1] not in ENTRY_POINTS:
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(ENTRY_POINTS)}}} CORPUS_DIR [flags]")
    name, corpus = sys.argv[1], Path(sys.argv[2])
    parse, seeds = ENTRY_POINTS[name]
    corpus.mkdir(parents=True, exist_ok=True)
    if not any(corpus.iterdir()):
        for seed in seeds:
            (corpus / hashlib.sha1(seed).hexdigest()).write_bytes(seed)

    def one_input(data: bytes) -> None:
        boundary.check(parse, data)

    atheris.Setup([sys.argv[0], *sys.argv[2:]], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
