#!/usr/bin/env bash
# One command: install what is needed, then run Runner-Up (trains a model when data/config changed).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
exec .venv/bin/runner-up run "$@"
