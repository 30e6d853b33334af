#!/usr/bin/env bash
# Makes the Python reference environment that some tests compare against (TensorFlow's own
# predictions, scikit-learn's metrics, pyarrow's Parquet reader): a venv in .python-ref/ with
# the packages of scripts/python-ref.txt, from whatever package index pip is configured with.
# Python is a reference here, never a dependency of Sluice itself: tests that need it skip with a
# one-line reason where this script could not run. SLUICE_PYTHON overrides the interpreter.
# Exit 0 when the environment imports; 1 with one line saying why otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."
venv=.python-ref
log="$(mktemp)"
if ! command -v python3 >/dev/null 2>&1; then echo "python-ref: python3 not found" >&2; exit 1; fi
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" >"$log" 2>&1 || { cat "$log" >&2; echo "python-ref: python3 -m venv failed" >&2; exit 1; }
fi
if ! "$venv/bin/python" -c 'import tensorflow, sklearn, pyarrow, numpy' >/dev/null 2>&1; then
  echo "python-ref: installing $(tr '\n' ' ' < scripts/python-ref.txt)into $venv (pip)"
  "$venv/bin/pip" install -q --disable-pip-version-check --retries 1 -r scripts/python-ref.txt >"$log" 2>&1 \
    || { tail -5 "$log" >&2; echo "python-ref: pip could not install scripts/python-ref.txt" >&2; exit 1; }
fi
"$venv/bin/python" -c 'import tensorflow as tf, sklearn, pyarrow; print("python-ref: tensorflow", tf.__version__, "scikit-learn", sklearn.__version__, "pyarrow", pyarrow.__version__)' 2>/dev/null \
  || { echo "python-ref: the environment in $venv does not import" >&2; exit 1; }
