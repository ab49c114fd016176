# shellcheck shell=bash
# Sourced by every script in bin/: creates or updates the project's .venv so a fresh clone needs
# nothing installed by hand. Re-installs when pyproject.toml changes: one stamp per set of extras
# holds the hash it was installed from, so bin/test and bin/bench do not undo each other.
set -euo pipefail
PYKRAFT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$PYKRAFT_ROOT/.venv"
EXTRAS="${PYKRAFT_EXTRAS:-test}"
_stamp="$VENV/.pykraft-stamp-${EXTRAS//,/-}"
_want="$(sha256sum < "$PYKRAFT_ROOT/pyproject.toml" | cut -c1-16)"
if [ ! -x "$VENV/bin/python" ]; then
    echo "pykraft: creating $VENV (first run)" >&2
    "${PYTHON:-python3}" -m venv "$VENV"
fi
if [ ! -f "$_stamp" ] || [ "$(cat "$_stamp")" != "$_want" ]; then
    echo "pykraft: installing dependencies into .venv ($EXTRAS)" >&2
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >&2
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$PYKRAFT_ROOT[$EXTRAS]" >&2
    echo "$_want" > "$_stamp"
fi
export PATH="$VENV/bin:$PATH"
