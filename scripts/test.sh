#!/usr/bin/env bash
# One command: install what is needed, validate the training data, then run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh

# The web chat's browser test (tests/test_widget.py) runs Debian's Chromium; Playwright's own
# browser download is not used.
if [ ! -x /usr/bin/chromium ]; then
  echo
  echo "The browser test needs Chromium: installing Debian's chromium package ..."
  sudo=""
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
  if ! { command -v apt-get >/dev/null 2>&1 && $sudo apt-get update &&
         $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; } || [ ! -x /usr/bin/chromium ]; then
    echo >&2
    echo "error: /usr/bin/chromium is missing and could not be installed here (that needs apt-get, as root" >&2
    echo "  or with sudo). Install the 'chromium' package (Debian: apt-get install chromium), then run this again." >&2
    exit 1
  fi
fi
# The deployment test (tests/test_deploy.py) runs deploy/nginx.conf in Debian's nginx-light; without
# it that one test is skipped, so a failed install here only says so.
if [ ! -x /usr/sbin/nginx ] && command -v apt-get >/dev/null 2>&1; then
  sudo=""
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
  echo
  echo "The deployment test runs nginx: installing Debian's nginx-light ..."
  { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light; } \
    || echo "nginx-light could not be installed: tests/test_deploy.py will skip its nginx test."
fi
export RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2
exec .venv/bin/python -m pytest "$@"
