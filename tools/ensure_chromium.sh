#!/usr/bin/env bash
# Make sure Debian's `chromium` is installed: the report tests drive /usr/bin/chromium through
# Playwright and `cargotrace report --format pdf` prints with it (issue 7). Never
# `playwright install`: it downloads browsers from a site that may be unreachable, and the
# distribution's package gets security updates with the rest of the system.
#
# Installs with apt-get as root, or through sudo when that works without a password prompt;
# otherwise says what to run and exits 1. Called by `make test` and .ci/run.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
    exit 0
fi

fail() {
    echo "ensure_chromium: $CHROMIUM is missing and $1; install it with" \
         "\`sudo apt-get update && sudo apt-get install -y chromium\` (Debian/Ubuntu; elsewhere" \
         "your system's package manager), then run \`make test\` again" >&2
    exit 1
}

command -v apt-get >/dev/null 2>&1 || fail "there is no apt-get on this machine"

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    fail "installing it needs root (not root, and no password-less sudo)"
fi

echo "ensure_chromium: installing Debian's chromium with apt-get (about 1.5 min)..." >&2
export DEBIAN_FRONTEND=noninteractive
# wait for another apt/dpkg run to finish instead of failing on its lock
apt_opts=(-o DPkg::Lock::Timeout=600 -q)
"${as_root[@]}" apt-get "${apt_opts[@]}" update >&2 || fail "apt-get update failed"
"${as_root[@]}" apt-get "${apt_opts[@]}" install -y chromium >&2 \
    || fail "apt-get install chromium failed"
[ -x "$CHROMIUM" ] || fail "apt-get installed chromium but not at $CHROMIUM"
echo "ensure_chromium: $("$CHROMIUM" --version 2>/dev/null)" >&2
