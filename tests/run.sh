#!/usr/bin/env bash
# The whole test suite: `cargo nextest run --workspace`, with this repository's nextest settings.
#
# It sets up what the tests need on a fresh machine by itself, and says what it did:
# - the SMTP sink (aiosmtpd, from PyPI) in a virtual environment under target/test-python;
# - Schemathesis (PyPI, pinned) in target/test-schemathesis, for the API contract test;
# - Debian's Chromium and chromedriver for the browser journeys, when missing and run as root
#   (elsewhere it says how to install them; SYNERGIES_TEST_CHROMIUM / _CHROMEDRIVER point at others);
# - PostgreSQL and NATS JetStream, started when they are down on a machine where they are installed.
#
# Suites that need PostgreSQL and NATS JetStream read SYNERGIES_TEST_DATABASE_URL and
# SYNERGIES_TEST_NATS_URL (default: the local servers). If those cannot be reached the run stops
# and says how to start them — unless SYNERGIES_TEST_EMBEDDED_ONLY=1, which runs only the suites
# that need no server and lists, loudly, every test it skipped.
#
# Extra arguments go to nextest (e.g. `tests/run.sh -E 'test(crash)'`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'tests/run.sh: %s\n' "$*" >&2; }
as_root() { if [[ $(id -u) == 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

# --- cargo-nextest -------------------------------------------------------------------------
if ! cargo nextest --version >/dev/null 2>&1; then
    say "installing cargo-nextest (cargo install --locked)"
    cargo install cargo-nextest --locked
fi

# --- the SMTP sink: aiosmtpd in a virtual environment of its own ---------------------------
venv=target/test-python
aiosmtpd_version=1.4.6
if ! "$venv/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
    say "creating $venv with aiosmtpd $aiosmtpd_version (the SMTP sink of the e-mail tests)"
    mkdir -p target
    python3 -m venv --clear "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "aiosmtpd==$aiosmtpd_version"
fi
export SYNERGIES_TEST_PYTHON="$PWD/$venv/bin/python"
say "SMTP sink: $("$SYNERGIES_TEST_PYTHON" -c 'import aiosmtpd; print("aiosmtpd", aiosmtpd.__version__)') ($venv)"

# --- Schemathesis: the API contract test fuzzes the OpenAPI document with it ------------------
st_venv=target/test-schemathesis
schemathesis_version=4.32.5
if ! "$st_venv/bin/schemathesis" --version 2>/dev/null | grep -q "$schemathesis_version"; then
    say "creating $st_venv with schemathesis $schemathesis_version (the API contract test)"
    mkdir -p target
    python3 -m venv --clear "$st_venv"
    "$st_venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "schemathesis==$schemathesis_version" \
        || say "could not install schemathesis: the API contract test fails in CI, is skipped elsewhere"
fi
export SYNERGIES_TEST_SCHEMATHESIS="$PWD/$st_venv/bin/schemathesis"
say "API contract: $("$SYNERGIES_TEST_SCHEMATHESIS" --version 2>/dev/null || echo 'schemathesis missing') ($st_venv)"

# --- Chromium and its WebDriver for the browser journeys -----------------------------------
chromium=${SYNERGIES_TEST_CHROMIUM:-/usr/bin/chromium}
chromedriver=${SYNERGIES_TEST_CHROMEDRIVER:-/usr/bin/chromedriver}
if [[ ! -x $chromium || ! -x $chromedriver ]]; then
    if [[ $(id -u) == 0 ]]; then
        say "installing Debian's chromium and chromium-driver (apt-get; log in target/apt-chromium.log)"
        mkdir -p target
        if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; } \
            >target/apt-chromium.log 2>&1; then
            tail -20 target/apt-chromium.log >&2
            say "could not install Chromium: the browser tests will fail"
        fi
    else
        say "WARNING: Chromium or chromedriver missing and not root: the browser tests will fail."
        say "         install them with: sudo apt-get install chromium chromium-driver"
    fi
fi
[[ -x $chromium ]] && say "browser: $("$chromium" --version 2>/dev/null | head -1)"

nextest=(cargo nextest run --workspace --config-file tests/nextest.toml)
# Tests that need the servers are named for them: the PostgreSQL and NATS cases of the
# conformance suites, and the split-process end-to-end tests.
server_tests='test(/^(postgres|nats)::/) | test(/(^|::)split_/)'

if [[ "${SYNERGIES_TEST_EMBEDDED_ONLY:-}" == 1 ]]; then
    "${nextest[@]}" -E "not ($server_tests)" "$@"
    skipped=$(cargo nextest list --workspace -T oneline -E "$server_tests" 2>/dev/null)
    printf '\n%s\n' "################################################################################"
    printf 'SKIPPED %d tests that need PostgreSQL and NATS (SYNERGIES_TEST_EMBEDDED_ONLY=1):\n' "$(grep -c . <<<"$skipped")"
    printf '  %s\n' "${skipped//$'\n'/$'\n'  }"
    printf '%s\n' "################################################################################"
    exit 0
fi

# --- PostgreSQL and NATS JetStream -----------------------------------------------------------
# host:port of a URL such as postgres://user@host:5432/db or nats://host:4222.
address_of() {
    local rest=${1#*://}
    rest=${rest##*@}
    rest=${rest%%/*}
    rest=${rest%%\?*}
    [[ $rest == *:* ]] && echo "$rest" || echo "$rest:$2"
}

reachable() {
    local host=${1%:*} port=${1##*:}
    timeout 3 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null
}

# Polls `address` for up to a minute (a server started in the background takes a moment).
wait_reachable() {
    for ((i = 0; i < 300; i++)); do
        reachable "$1" && return 0
        sleep 0.2
    done
    return 1
}

database=$(address_of "${SYNERGIES_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" 5432)
nats=$(address_of "${SYNERGIES_TEST_NATS_URL:-nats://127.0.0.1:4222}" 4222)
is_local() { [[ ${1%:*} == 127.0.0.1 || ${1%:*} == localhost ]]; }

if ! reachable "$database" && is_local "$database" && command -v pg_ctlcluster >/dev/null && [[ -d /etc/postgresql ]]; then
    say "PostgreSQL is down at $database: starting the local cluster"
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start >&2 || true
    wait_reachable "$database" || true
fi
if ! reachable "$nats" && is_local "$nats" && [[ -x /usr/sbin/nats-server ]]; then
    say "NATS is down at $nats: starting nats-server with JetStream"
    as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
        -a 127.0.0.1 -p "${nats##*:}" -js -sd /var/lib/nats-server -l /var/log/nats-server.log >&2 || true
    wait_reachable "$nats" || true
fi

missing=()
reachable "$database" || missing+=("PostgreSQL at $database")
reachable "$nats" || missing+=("NATS at $nats")
if ((${#missing[@]})); then
    {
        echo "tests/run.sh: cannot reach ${missing[*]}."
        echo "Start them (as root on a Debian machine):"
        echo "  pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start"
        echo "  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log"
        echo "or point SYNERGIES_TEST_DATABASE_URL / SYNERGIES_TEST_NATS_URL at running servers,"
        echo "or run only the embedded suites: SYNERGIES_TEST_EMBEDDED_ONLY=1 tests/run.sh"
    } >&2
    exit 1
fi
say "servers: PostgreSQL at $database, NATS at $nats"

exec "${nextest[@]}" "$@"
