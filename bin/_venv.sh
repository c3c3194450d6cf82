# Sourced by bin/dev and bin/test: a virtualenv in .venv with the given requirements file installed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
REQUIREMENTS="$1"
STAMP=".venv/.installed-$(basename "$REQUIREMENTS")"
if [ ! -f "$STAMP" ] || [ -n "$(find requirements*.txt -newer "$STAMP" 2>/dev/null)" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
  touch "$STAMP"
fi
export PATH="$ROOT/.venv/bin:$PATH"
