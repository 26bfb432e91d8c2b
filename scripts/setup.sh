#!/usr/bin/env bash
# Sets up a fresh machine (Debian, Python >= 3.10) to run napari-masked-blur:
# the display libraries napari needs under Xvfb, and a virtual environment in
# .venv with the package installed editable with its test extras (which
# bring the formats extra too: bioio's readers, yaozarrs, napari-ome-zarr).
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(xvfb xauth libgl1-mesa-dri libgl1 libegl1 libxkbcommon-x11-0
  libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0
  libxcb-xinerama0 libxcb-xfixes0 libxcb-shape0 libxcb-cursor0 libdbus-1-3
  libfontconfig1 fonts-dejavu-core)

if command -v apt-get >/dev/null; then
  missing=()
  for p in "${DEBIAN_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# Pinned by scripts/constraints.txt (`uv pip compile pyproject.toml --extra test
# --universal --python-version 3.10`): unpinned, pip's resolver backtracked
# through dask and bioio down to lxml 2.0.11, whose build fails.
.venv/bin/python -m pip install -q -c scripts/constraints.txt -e ".[test]"
