#!/usr/bin/env bash
# The whole test suite: `cargo nextest run --workspace`, with this repository's nextest settings.
#
# Suites that need PostgreSQL and NATS JetStream read SYNERGIES_TEST_DATABASE_URL and
# SYNERGIES_TEST_NATS_URL (default: the local servers). If those cannot be reached the run stops
# and says how to start them — unless SYNERGIES_TEST_EMBEDDED_ONLY=1, which runs only the suites
# that need no server and lists, loudly, every test it skipped.
#
# Extra arguments go to nextest (e.g. `tests/run.sh -E 'test(crash)'`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

nextest=(cargo nextest run --workspace --config-file tests/nextest.toml)
# Tests that need the servers are named for them: the PostgreSQL and NATS cases of the
# conformance suites, and the split-process end-to-end tests.
server_tests='test(/^(postgres|nats)::/) | test(/^split_/)'

if [[ "${SYNERGIES_TEST_EMBEDDED_ONLY:-}" == 1 ]]; then
    "${nextest[@]}" -E "not ($server_tests)" "$@"
    skipped=$(cargo nextest list --workspace -T oneline -E "$server_tests" 2>/dev/null)
    printf '\n%s\n' "################################################################################"
    printf 'SKIPPED %d tests that need PostgreSQL and NATS (SYNERGIES_TEST_EMBEDDED_ONLY=1):\n' "$(grep -c . <<<"$skipped")"
    printf '  %s\n' "${skipped//$'\n'/$'\n'  }"
    printf '%s\n' "################################################################################"
    exit 0
fi

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

database=$(address_of "${SYNERGIES_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" 5432)
nats=$(address_of "${SYNERGIES_TEST_NATS_URL:-nats://127.0.0.1:4222}" 4222)
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

exec "${nextest[@]}" "$@"
