"""Compile the NMEA kernels ahead of time into a Python extension: `python -m` this module DIR.

Run by `aot.load()` in a child process, once per machine (and again when kernels.py, numba,
numpy or Python change): numba's `pycc` compiles each kernel of `kernels.py` for the
signature below and a C compiler links the result, so the extension needs neither numba nor
LLVM to run. A child process keeps the compiler's output, and numba's warning that `pycc` is
pending deprecation, out of the parent's streams. See docs/decisions/0013-numba-decoder.md.
"""

from __future__ import annotations

import sys
import warnings

MODULE = "cargotrace_nmea_kernels"  # the extension's import name (its PyInit_ symbol)

# One signature per kernel, the types compiled.py passes (aot.py coerces to them). numba
# compiles a JIT kernel for whatever it is given; an exported one exists for these only.
SIGNATURES = {
    "scan": "Tuple((i8, i8[:, ::1]))(u1[::1], i8[::1], i8[::1], i8, i8, i8)",
    "payload_words": "u8[:, ::1](u1[::1], i8[::1], i8[::1], i8[::1], i8)",
    "gather": "Tuple((i4[::1], u1[::1]))(u1[::1], i8[::1], i8[::1], i8[::1], i8[::1])",
    "fields": "i8[:, ::1](u8[:, ::1], i8[:, ::1])",
    "lf_lines": "Tuple((i8[::1], i8[::1]))(u1[::1])",
    "six_bit_text": "Tuple((i4[::1], u1[:], b1[::1]))(u8[:, ::1], i8, i8)",
}


def build(output_dir: str) -> None:
    """Write the extension (`MODULE` + the interpreter's extension suffix) into `output_dir`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pycc's pending deprecation: recorded in 0013
        from numba.pycc.cc import CC

    from cargotrace.ingest.nmea_columnar import kernels

    cc = CC(MODULE)  # type: ignore[no-untyped-call]
    cc.output_dir = output_dir
    cc.verbose = False
    for name, signature in SIGNATURES.items():
        cc.export(name, signature)(getattr(kernels, name).py_func)  # type: ignore[no-untyped-call]
    cc.compile()


if __name__ == "__main__":  # pragma: no cover - run in a child process by aot.load
    build(sys.argv[1])
