#!/usr/bin/env bash
# One entry point for people and CI: makes .venv from the lock file when needed, then runs the bot or the tests.
#   ./dev.sh run [args]      the bot (the console chat when no chat token is configured)
#   ./dev.sh console [args]  the bot with a terminal chat
#   ./dev.sh test [pytest args]
#   ./dev.sh bench [--smoke]
#   ./dev.sh <any hotfix-bot sub-command>
set -euo pipefail
cd "$(dirname "$0")"
PY="${PYTHON:-python3}"
VENV=".venv"
STAMP="$VENV/.hotfix-stamp"
want="$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
  echo "dev.sh: setting up $VENV from requirements.lock (first run takes a few minutes)…" >&2
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.lock
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e .
  echo "$want" > "$STAMP"
fi
cmd="${1:-run}"
[ $# -gt 0 ] && shift
case "$cmd" in
  test)  exec "$VENV/bin/python" -m pytest "$@" ;;
  bench) exec "$VENV/bin/python" -m bench "$@" ;;
  lint)  "$VENV/bin/ruff" check . && exec "$VENV/bin/mypy" ;;
  *)     exec "$VENV/bin/hotfix-bot" "$cmd" "$@" ;;
esac
