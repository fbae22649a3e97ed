#!/usr/bin/env bash
# Proves the default install needs no compiler: `pip install .` into a throwaway venv with no C/C++
# compiler reachable (PATH holds only links to python and a few basic tools; CC/CXX point at
# `false`): a dependency that would compile (pyicu, for followthemoney) fails here instead of on
# the user's machine. Pure-Python sdists (searoute has no wheel) still build. Then `cargotrace --help` and a plain FtM
# round trip run without followthemoney, and the NMEA kernels run: their extension compiled ahead
# of time cannot be built (`aot.load()` gives None; the failure is remembered in a throwaway
# cache), so numba's JIT runs them (`compiled.kernels()`). Prints the time and peak memory
# (/usr/bin/time -v).
# `--no-compile` as in the Makefile: byte-compiling scgraph-data's 90 MB of Python-literal data
# modules (never imported: read as data) is what made installs peak at 4.9 GB and take minutes.
# Usage: bash tools/check_install.sh [python]   (needs the package index; ~1 min)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${1:-$(command -v python3.11 || command -v python3)}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/cargotrace-install.XXXXXX")"
trap 'cd / && rm -rf "$WORK"' EXIT
mkdir -p "$WORK/bin"
for tool in sh bash env uname cat rm mkdir cp mv ln chmod ls sed grep tr head tail find du cut; do
    found="$(command -v "$tool" || true)"
    [ -n "$found" ] && ln -s "$found" "$WORK/bin/$tool"
done
"$PYTHON" -m venv "$WORK/venv"
export PATH="$WORK/venv/bin:$WORK/bin" CC=false CXX=false
for compiler in cc gcc g++ c++ clang; do
    if command -v "$compiler" >/dev/null; then echo "compiler $compiler still on PATH" >&2; exit 1; fi
done
/usr/bin/time -v -o "$WORK/time.txt" \
    pip install --quiet --no-cache-dir --no-compile . \
    || { cat "$WORK/time.txt" >&2; exit 1; }
cd "$WORK"  # the installed copy, not the checkout
cargotrace --help >/dev/null
python - <<'PY'
import importlib.util, sys
from cargotrace.ftm import cleaner, make_entity
assert importlib.util.find_spec("followthemoney") is None, "followthemoney in the default install"
vessel = make_entity("Vessel", "check", "install")
vessel.add("flag", "Russia")
vessel.add("imoNumber", "9179842")
assert vessel.to_dict()["properties"] == {"flag": ["ru"], "imoNumber": ["IMO9179842"]}
assert cleaner()[0] == "plain"
PY
CARGOTRACE_CACHE="$WORK/cache" python - <<'PY' 2>"$WORK/nmea.txt" || { cat "$WORK/nmea.txt" >&2; exit 1; }
import numpy as np
from cargotrace.ingest.nmea_columnar import aot, compiled
assert aot.load() is None, "the NMEA extension was built without a compiler"
assert list(aot.cache_dir().glob("*.failed")), "the failed compile was not remembered"
kernels = compiled.kernels()
assert not isinstance(kernels, aot.Kernels), kernels
starts, ends = kernels.lf_lines(np.frombuffer(b"!AIVDM\n!AIVDO", np.uint8))
assert (starts.tolist(), ends.tolist()) == ([0, 7], [6, 13]), (starts, ends)
PY
echo "default install without a compiler: OK ($(grep -E 'Elapsed' time.txt | sed 's/.*): //') wall," \
     "peak $(( $(grep 'Maximum resident' time.txt | grep -oE '[0-9]+$') / 1024 )) MB," \
     "$(du -sm venv | cut -f1) MB installed)"
