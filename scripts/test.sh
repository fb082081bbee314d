#!/usr/bin/env bash
# Installs everything the tests need and runs the whole suite: Python packages in .venv, Debian chromium for the
# browser tests, and PostgreSQL and Redis on localhost (started when installed but stopped; installed when missing
# and running as root). It checks the code with ruff, the layers with import-linter and the types with mypy first.
# Arguments are passed to pytest, e.g. `scripts/test.sh -k kpi`.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$PANTAU_ROOT"

PG_HOST=127.0.0.1 PG_PORT=5432 REDIS_HOST=127.0.0.1 REDIS_PORT=6379

need_package chromium "headless browser for the page tests" test -x /usr/bin/chromium
need_package postgresql "PostgreSQL server" sh -c 'ls /etc/postgresql/*/main >/dev/null 2>&1 || pg_isready -q -h 127.0.0.1'
need_package redis-server "Redis server" sh -c 'command -v redis-server || redis-cli -h 127.0.0.1 ping'
need_package fonts-dejavu-core "the fonts embedded in the PDF summary" test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
need_package poppler-utils "pdftoppm, to render the PDF summary in the tests" sh -c 'command -v pdftoppm'
report_missing

ensure_venv "[test]"

if ! pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; then
  say "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start ||
    die "PostgreSQL is installed but did not start; start it and run this again"
  for _ in $(seq 1 30); do pg_isready -q -h "$PG_HOST" -p "$PG_PORT" && break; sleep 1; done
fi
export PANTAU_TEST_POSTGRES_URL="${PANTAU_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@$PG_HOST:$PG_PORT/postgres}"
if ! "$VENV/bin/python" -c 'import sys, psycopg; psycopg.connect(sys.argv[1].replace("+psycopg", "")).close()' \
  "$PANTAU_TEST_POSTGRES_URL" 2>/dev/null; then
  if is_root && command -v runuser >/dev/null; then
    # A fresh Debian cluster asks for a password over TCP; give the postgres role one for the tests.
    say "setting a password for the PostgreSQL role postgres (tests connect over TCP)"
    runuser -u postgres -- psql -q -c "ALTER ROLE postgres PASSWORD 'pantau-test'"
    export PANTAU_TEST_POSTGRES_URL="postgresql+psycopg://postgres:pantau-test@$PG_HOST:$PG_PORT/postgres"
  else
    die "cannot connect to $PANTAU_TEST_POSTGRES_URL; set PANTAU_TEST_POSTGRES_URL to a superuser URL"
  fi
fi

if ! redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  say "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no ||
    die "Redis is installed but did not start; start it and run this again"
  for _ in $(seq 1 30); do redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 1; done
fi
export PANTAU_TEST_REDIS_URL="${PANTAU_TEST_REDIS_URL:-redis://$REDIS_HOST:$REDIS_PORT/15}"
export PANTAU_TEST_CHROMIUM="${PANTAU_TEST_CHROMIUM:-/usr/bin/chromium}"

say "checking style (ruff)"
"$VENV/bin/ruff" check --quiet src tests
"$VENV/bin/ruff" format --check --quiet src tests

say "checking the layers (import-linter, contracts in pyproject.toml)"
if ! layers="$("$VENV/bin/lint-imports" --no-cache --no-logo 2>&1)"; then
  printf '%s\n' "$layers" >&2
  die "an import crosses the layers of docs/architecture.md"
fi

say "checking types (mypy over src/, settings in pyproject.toml)"
"$VENV/bin/mypy" --no-error-summary || die "mypy found type errors in src/ (above)"

say "running the test suite"
exec "$VENV/bin/python" -m pytest "$@"
