#!/usr/bin/env bash
# Installs Pantau into .venv, fills the embedded SQLite database (./pantau.db) with fresh S demo data, builds its
# snapshots and serves the dashboard at http://127.0.0.1:8000, with the scheduler keeping the snapshots up to date.
# Ctrl-C stops both. Run it again (once the first has stopped) to start over with fresh data.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$PANTAU_ROOT"

HOST=127.0.0.1 PORT=8000

ensure_venv ""

# The PDF summary embeds DejaVu Sans (Debian's fonts-dejavu-core). Without it the dashboard runs and its PDF button
# answers 503 naming the package, so a missing font is a note here, not a reason to stop.
if ! ls /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf /usr/share/fonts/dejavu/DejaVuSans.ttf >/dev/null 2>&1; then
  if is_root; then
    say "installing fonts-dejavu-core (the fonts embedded in the PDF summary)"
    apt_install fonts-dejavu-core || say "note: apt-get install fonts-dejavu-core failed; the PDF summary stays off"
  else
    say "note: the PDF summary needs the fonts of Debian's fonts-dejavu-core (sudo apt-get install fonts-dejavu-core)"
  fi
fi

# Before the database is touched: a Pantau started earlier may still be serving ./pantau.db on this port.
if ! port_is_free "$HOST" "$PORT"; then
  die "nothing was changed: ./pantau.db is as it was. If an earlier ./scripts/start.sh is still running, its
Pantau is at http://$HOST:$PORT; to start over with fresh data, stop it (Ctrl-C in its terminal) and run this
again. If another program holds the port, stop that program first."
fi

# The demo always uses the embedded default, whatever a local .env says, so it can never touch a real database.
export DATABASE_URL="sqlite:///./pantau.db" REDIS_URL="" ENVIRONMENT="development"
say "preparing the database (./pantau.db)"
"$VENV/bin/pantau" migrate
say "loading demo data"
"$VENV/bin/pantau" demo --size S --reset
say "building the snapshots of the demo week"
"$VENV/bin/pantau" aggregate backfill --from "$(date -u -d '9 days ago' +%F)" --to "$(date -u -d tomorrow +%F)"
say "starting the scheduler, which keeps the snapshots up to date"
"$VENV/bin/pantau" scheduler &
scheduler_pid=$!
trap 'kill "$scheduler_pid" 2>/dev/null' EXIT
say "starting Pantau (Ctrl-C to stop)"
"$VENV/bin/pantau" serve --host "$HOST" --port "$PORT"
