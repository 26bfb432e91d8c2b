#!/usr/bin/env bash
# What a user who installs a release gets: build the wheel, install it with
# pip into a fresh virtual environment (no clone on the path), then run the
# demo once under a virtual display; it opens napari with the widget and the
# coins sample, saves a screenshot once the first blur is shown, and exits.
#   bash scripts/wheel_demo.sh            (needs network for the dependencies)
# Builds with .venv's `build` (scripts/setup.sh; or BUILDER=<a python with build>),
# installs with scripts/constraints.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"${BUILDER:-$root/.venv/bin/python}" -m build --wheel --outdir "$work/dist" . >/dev/null
wheel=$(ls "$work"/dist/napari_masked_blur-*.whl)
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --upgrade pip
"$work/venv/bin/python" -m pip install -q -c "$root/scripts/constraints.txt" "$wheel[all]"
cd "$work"  # away from the source tree: the installed package is imported
"$work/venv/bin/python" -c "import napari_masked_blur as p; print('installed:', p.__file__)"
xvfb-run -a -s "-screen 0 1600x1000x24" \
  "$work/venv/bin/napari-masked-blur" --screenshot "$work/demo.png"
echo "the wheel installs and its demo runs: $(basename "$wheel")"
