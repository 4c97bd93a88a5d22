#!/usr/bin/env sh
# What the tests need from the system, each installed only when missing:
# - Debian's chromium, which the web view's browser tests drive through Playwright
#   (executable_path=/usr/bin/chromium; Playwright's own browser download is never used);
# - a PostgreSQL server answering on 127.0.0.1:5432 to user postgres without a password, which
#   the store's tests run against as well as SQLite (LEADS_REQUIRE_POSTGRES=1 makes them fail
#   rather than skip without it). Where none answers, Debian's postgresql package is installed,
#   its cluster told to trust loopback connections (a throwaway CI machine's setting) and started.
set -eu

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

postgres_answers() {
  command -v psql >/dev/null 2>&1 &&
    psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -w -tAc 'SELECT 1' >/dev/null 2>&1
}

if [ ! -x /usr/bin/chromium ]; then
  as_root apt-get update && as_root apt-get install -y chromium
fi

if ! postgres_answers; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    as_root apt-get update && as_root apt-get install -y postgresql
  fi
  version=$(ls /etc/postgresql | sort -n | tail -n 1)
  hba=/etc/postgresql/$version/main/pg_hba.conf
  # The first matching line decides: trust loopback before any password rule.
  if ! as_root grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    as_root sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
  fi
  if as_root pg_ctlcluster "$version" main status >/dev/null 2>&1; then
    as_root pg_ctlcluster "$version" main reload
  else
    as_root pg_ctlcluster "$version" main start
  fi
  tries=0
  until postgres_answers; do
    tries=$((tries + 1))
    if [ "$tries" -ge 30 ]; then
      echo "setup-ci: PostgreSQL on 127.0.0.1:5432 does not answer user postgres" >&2
      exit 1
    fi
    sleep 1
  done
fi
