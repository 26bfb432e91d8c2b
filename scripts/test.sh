#!/usr/bin/env bash
# One command from a fresh machine to a full test run: set up, lint, check the
# rooms' import contracts and the napari manifest, build the docs, run every
# test (GUI tests under a virtual X display).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
ruff check .
ruff format --check .
lint-imports  # the rooms and their one-way dependencies (pyproject.toml)
npe2 validate napari-masked-blur --imports
NO_MKDOCS_2_WARNING=1 mkdocs build --strict --quiet  # the docs site; warnings fail
xvfb-run -a -s "-screen 0 1600x1000x24" python -m pytest "$@"
