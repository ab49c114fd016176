# shellcheck shell=bash
# Sourced by every script in bin/: creates or updates the project's .venv so a fresh clone needs
# nothing installed by hand. Each script asks for what it needs (PYKRAFT_EXTRAS, comma-separated;
# empty: the runtime dependencies only, what running a node or a tool needs): bin/kraft and
# bin/test-raft-server-start.sh nothing more, bin/test the `test` extra, bin/bench the `bench` one.
# One stamp per set of extras holds the hash of the pyproject.toml it was installed from; a current
# stamp of the same or a larger set means there is nothing to install, so the scripts never undo
# or repeat each other's installs. A changed pyproject.toml installs again.
set -euo pipefail
PYKRAFT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$PYKRAFT_ROOT/.venv"
EXTRAS="${PYKRAFT_EXTRAS:-}"
_name="${EXTRAS//,/-}"
_stamp="$VENV/.pykraft-stamp-${_name:-runtime}"
_want="$(sha256sum < "$PYKRAFT_ROOT/pyproject.toml" | cut -c1-16)"

# True when a stamp of the current pyproject.toml covers every extra in $EXTRAS.
_installed() {
    local stamp have extra
    for stamp in "$VENV"/.pykraft-stamp-*; do
        [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$_want" ] || continue
        have="-${stamp##*/.pykraft-stamp-}-"
        for extra in ${EXTRAS//,/ }; do
            case "$have" in *"-$extra-"*) ;; *) continue 2 ;; esac
        done
        return 0
    done
    return 1
}

if [ ! -x "$VENV/bin/python" ]; then
    echo "pykraft: creating $VENV (first run)" >&2
    "${PYTHON:-python3}" -m venv "$VENV"
fi
if ! _installed; then
    _target="$PYKRAFT_ROOT"
    [ -z "$EXTRAS" ] || _target="$PYKRAFT_ROOT[$EXTRAS]"
    echo "pykraft: installing dependencies into .venv (${EXTRAS:-runtime only})" >&2
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >&2
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$_target" >&2
    echo "$_want" > "$_stamp"
fi
export PATH="$VENV/bin:$PATH"
