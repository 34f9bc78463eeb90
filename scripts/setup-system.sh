#!/usr/bin/env bash
# The system packages the test suite needs, checked before pytest (by `make test` and `.ci/run`).
#
# Missing ones are installed with apt-get when this can be done without a password (root, or
# passwordless sudo, on Debian/Ubuntu). Otherwise it prints ONE line naming what is missing and
# the command that installs it, and exits 1, so `make test` stops before pytest instead of failing
# dozens of tests one by one. Only bash builtins are used for the checks: the test of this script
# runs it with a PATH that hides the binaries.
set -uo pipefail

have() { command -v "$1" >/dev/null 2>&1; }

# PostgreSQL's server binaries live outside PATH on Debian (/usr/lib/postgresql/VERSION/bin).
have_postgres_server() {
  if have initdb && have pg_ctl; then return 0; fi
  local found
  for found in /usr/lib/postgresql/*/bin/initdb; do
    [ -x "$found" ] && [ -x "${found%/initdb}/pg_ctl" ] && return 0
  done
  return 1
}

# The Debian/Ubuntu packages that provide what is missing, space-separated.
missing_packages() {
  local missing=()
  have redis-server || missing+=(redis-server)
  have_postgres_server || missing+=(postgresql)
  have psql || missing+=(postgresql-client)
  have chromium || have chromium-browser || missing+=(chromium)
  have docker-compose || missing+=(docker-compose)
  echo "${missing[*]}"
}

read -r -a missing <<<"$(missing_packages)"
[ ${#missing[@]} -eq 0 ] && exit 0

as_root=""
[ "$EUID" -eq 0 ] || as_root="sudo "
install_command="${as_root}apt-get install -y --no-install-recommends ${missing[*]}"
sudo_prefix=""
can_install=0
if have apt-get; then
  if [ "$EUID" -eq 0 ]; then
    can_install=1
  elif have sudo && sudo -n true >/dev/null 2>&1; then
    can_install=1
    sudo_prefix="sudo -n"
  fi
fi

if [ "$can_install" -eq 0 ]; then
  echo "missing system packages: ${missing[*]}; install them with: $install_command" >&2
  exit 1
fi

echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! { $sudo_prefix apt-get update -q >/dev/null &&
  $sudo_prefix apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }; then
  echo "could not install system packages: ${missing[*]}; install them with: $install_command" >&2
  exit 1
fi

read -r -a still <<<"$(missing_packages)"
if [ ${#still[@]} -gt 0 ]; then
  echo "still missing after apt-get: ${still[*]}; install them with: ${as_root}apt-get install -y ${still[*]}" >&2
  exit 1
fi
