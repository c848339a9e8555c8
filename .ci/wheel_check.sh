#!/usr/bin/env bash
# The wheel works once installed: build it from this tree, install it (dependencies as pip
# resolves them, default extras: SQLite, no Redis) into a fresh venv outside the tree, then,
# from a directory that is not the checkout, migrate a new database and serve pages.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "wheel check [${SECONDS}s]: building the wheel from $(pwd)"
rm -rf build  # setuptools reuses build/: a module deleted from the tree would stay in it
"$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" . 2> >(grep -v "is ignored" >&2)
wheel=$(echo "$work"/dist/qinghe_portal-*.whl)
echo "wheel check [${SECONDS}s]: $(basename "$wheel"), installing it into a fresh venv in $work/venv"
"$PYTHON" -m venv "$work/venv"
# --no-compile: modules are byte-compiled when imported; compiling all of numpy and
# matplotlib first would take most of the check's time.
"$work/venv/bin/python" -m pip install --quiet --no-compile "$wheel" 2> >(grep -v "is ignored" >&2)

mkdir "$work/cwd" "$work/data"
cd "$work/cwd"
# Only the defaults and a throw-away data directory: no PORTAL_* setting of the caller applies.
unset PYTHONPATH $(env | sed -n 's/^\(PORTAL_[A-Z_]*\)=.*/\1/p')
export PORTAL_DATA_DIR="$work/data" PYTHONUNBUFFERED=1
echo "wheel check [${SECONDS}s]: flask --app portal:create_app db upgrade (data in $PORTAL_DATA_DIR)"
"$work/venv/bin/flask" --app portal:create_app db upgrade 2>&1 | grep "Running upgrade" | tail -n 1
"$work/venv/bin/python" "$OLDPWD/.ci/wheel_smoke.py" "$work/venv"
echo "wheel check: done in ${SECONDS}s"
