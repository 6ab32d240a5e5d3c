#!/usr/bin/env bash
# One command: install what is needed, validate the training data, then run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
export RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2
exec .venv/bin/python -m pytest "$@"
