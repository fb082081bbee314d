# Shared by scripts/start.sh and scripts/test.sh: a Python 3.11+ virtualenv in .venv, and Debian packages when
# they are missing (installed when running as root, otherwise named with the command that installs them).

PANTAU_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$PANTAU_ROOT/.venv"
MISSING=()

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

APT_UPDATED=0
apt_install() {
  if [ "$APT_UPDATED" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# need_package <debian package> <what it is for> <test command>: install it as root, else remember it as missing.
need_package() {
  local package="$1" purpose="$2"
  shift 2
  if "$@" >/dev/null 2>&1; then return 0; fi
  if is_root; then
    say "installing $package ($purpose)"
    apt_install "$package" || die "apt-get install $package failed"
  else
    MISSING+=("$package ($purpose)")
  fi
}

report_missing() {
  if [ "${#MISSING[@]}" -gt 0 ]; then
    printf 'error: these Debian packages are missing and this is not running as root:\n' >&2
    printf '  - %s\n' "${MISSING[@]}" >&2
    local names=()
    for entry in "${MISSING[@]}"; do names+=("${entry%% *}"); done
    printf 'install them with:\n  sudo apt-get install %s\nthen run this command again.\n' "${names[*]}" >&2
    exit 1
  fi
}

find_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

# ensure_venv <extras>: create .venv if needed and install Pantau into it (editable), e.g. ensure_venv "[test]".
ensure_venv() {
  local extras="${1:-}" python
  python="$(find_python)" || die "Python 3.11 or newer is needed (sudo apt-get install python3)"
  need_package python3-venv "Python virtual environments" "$python" -c 'import ensurepip, venv'
  report_missing
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating the virtual environment in .venv"
    "$python" -m venv "$VENV"
  fi
  say "installing Pantau${extras:+ with $extras} into .venv"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$PANTAU_ROOT$extras"
}

# port_is_free <host> <port>: true when Pantau can listen there; otherwise says why on stderr. The same trial bind
# `pantau serve` makes, so it needs the virtualenv (ensure_venv) first.
port_is_free() {
  "$VENV/bin/python" -c 'import sys
from pantau.cli.serving import port_problem
problem = port_problem(sys.argv[1], int(sys.argv[2]))
if problem:
    sys.exit(problem)' "$1" "$2"
}
