#!/usr/bin/env bash
# Runs Synergies in microservices mode on this machine: every service is its own process, as in
# production, against the local PostgreSQL (127.0.0.1:5432) and NATS JetStream (127.0.0.1:4222).
# As in production, `synergies migrate` alone signs in as the owner (postgres) and creates each
# service's own PostgreSQL role; every service signs in as its role, which reaches its own schema
# only. The roles' passwords are random, generated on first use into $STATE_DIR/secrets/.
#
#   deploy/local/run.sh                     start, wait until the gateway is ready, run until Ctrl-C
#   deploy/local/run.sh --stop-after-ready  start, wait until ready, stop cleanly, exit 0 (smoke test)
#
# Environment (all optional):
#   SYNERGIES_BIN        an already built `synergies` binary; otherwise `cargo build --release` runs
#   SYNERGIES_LOG_DIR    where <service>.log files go (default ./var/log, from the repository root)
#   STATE_DIR            what outlives a run: photos, search indexes, the database roles' password
#                        files in secrets/ (default ./var, from the repository root; git-ignored)
#   GATEWAY              host:port the gateway listens on (default 127.0.0.1:8080)
#   SYNERGIES_IDENTITY__OPERATOR_TOKEN    reuse a token instead of generating a fresh one
#   SYNERGIES_SERVICES__<SVC>_LISTEN / _URL   move a service to another address
#   PORT_OFFSET          added to every default port of the services and their metrics (default 0)
#   READY_TIMEOUT        seconds to wait for the gateway's /readyz?services=all (default 60)
#
# The binary is configured only through SYNERGIES_* environment variables (figment, `__` separates
# sections), so this script exports exactly those and nothing else to the children.
set -euo pipefail

usage() {
    sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'
}

stop_after_ready=false
while (($#)); do
    case "$1" in
        --stop-after-ready) stop_after_ready=true ;;
        -h | --help) usage; exit 0 ;;
        *) echo "run.sh: unknown option: $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done

log() { printf 'run.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# Resolve user-given paths before changing directory, so relative paths mean what the user meant.
bin_arg=""
if [[ -n "${SYNERGIES_BIN:-}" ]]; then
    bin_arg=$(realpath -- "$SYNERGIES_BIN")
fi
root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
if [[ -n "${SYNERGIES_LOG_DIR:-}" ]]; then
    log_dir=$(realpath -m -- "$SYNERGIES_LOG_DIR")
else
    # The default ./var/log is the repository's (ignored by git), wherever the script is run from.
    log_dir="$root/var/log"
fi
if [[ -n "${STATE_DIR:-}" ]]; then
    state_dir=$(realpath -m -- "$STATE_DIR")
else
    state_dir="$root/var"
fi
cd "$root"

# The local infrastructure is fixed: this script is for this machine's services, nothing else.
readonly PG_HOST=127.0.0.1 PG_PORT=5432 PG_USER=postgres PG_DB=synergies
readonly NATS_HOST=127.0.0.1 NATS_PORT=4222
# shellcheck disable=SC2016 # printed for the user to run, so $(...) must stay unexpanded
readonly PG_START_CMD='pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start'
readonly NATS_START_CMD='start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log'
ready_timeout=${READY_TIMEOUT:-60}
[[ "$ready_timeout" =~ ^[0-9]+$ ]] || die "READY_TIMEOUT must be a whole number of seconds"

# --- infrastructure checks: fail early with the command that fixes it ---------------------------

# psql rather than pg_isready: it also proves that trust authentication as postgres works.
if ! PGCONNECT_TIMEOUT=3 psql -X -q -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres \
    -tAc 'SELECT 1' >/dev/null 2>&1; then
    die "PostgreSQL is not reachable at $PG_HOST:$PG_PORT as user $PG_USER. Start it with:
    $PG_START_CMD"
fi

# NATS greets every client with an INFO line; reading it checks both the port and that JetStream
# is on (the outbox relay and consumers need it), without needing the nats CLI.
nats_info=$(timeout 3 bash -c "exec 3<>/dev/tcp/$NATS_HOST/$NATS_PORT && IFS= read -r line <&3 && printf '%s' \"\$line\"" 2>/dev/null || true)
if [[ "$nats_info" != INFO* ]]; then
    die "NATS is not reachable at $NATS_HOST:$NATS_PORT. Start it with:
    $NATS_START_CMD"
fi
if [[ "$nats_info" != *'"jetstream":true'* ]]; then
    die "NATS at $NATS_HOST:$NATS_PORT runs without JetStream. Restart it with -js, for example:
    $NATS_START_CMD"
fi

# --- binary ---------------------------------------------------------------------------------------

if [[ -n "$bin_arg" ]]; then
    BIN=$bin_arg
else
    log "building the synergies binary (cargo build --release -p synergies)"
    cargo build --release -p synergies
    BIN="${CARGO_TARGET_DIR:-$root/target}/release/synergies"
fi
[[ -x "$BIN" ]] || die "$BIN is not an executable file"

# --- configuration shared by every process --------------------------------------------------------

GATEWAY=${GATEWAY:-127.0.0.1:8080}
if [[ -z "${SYNERGIES_IDENTITY__OPERATOR_TOKEN:-}" ]]; then
    # Fresh per run: a local stack should not share a guessable token with anything else.
    SYNERGIES_IDENTITY__OPERATOR_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
fi

# The owner's URL is migrate's alone (below); the services get the server and database only, and
# sign in as their own roles.
readonly OWNER_DATABASE_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_DB"
export SYNERGIES_DATABASE__URL="postgres://$PG_HOST:$PG_PORT/$PG_DB"
export SYNERGIES_BUS__NATS_URL="nats://$NATS_HOST:$NATS_PORT"
export SYNERGIES_TELEMETRY__FORMAT=json
export SYNERGIES_GATEWAY__LISTEN="$GATEWAY"
export SYNERGIES_IDENTITY__OPERATOR_TOKEN
# Listing photos: the repository's var/photos (ignored by git), wherever the script is run from.
export SYNERGIES_PHOTOS__DIRECTORY="${SYNERGIES_PHOTOS__DIRECTORY:-$state_dir/photos}"
# The listings search index: the repository's var/search-index (replicas take a slot each).
export SYNERGIES_LISTINGS__SEARCH_DIRECTORY="${SYNERGIES_LISTINGS__SEARCH_DIRECTORY:-$state_dir/search-index}"
# The flows search index: the repository's var/flows-search-index (replicas take a slot each).
export SYNERGIES_FLOWS__SEARCH_DIRECTORY="${SYNERGIES_FLOWS__SEARCH_DIRECTORY:-$state_dir/flows-search-index}"

# The services and their default ports come from the binary (the platform's one list of services):
# `synergies services` prints `<name> <port>` lines. Each listens on 127.0.0.1:<port> unless
# SYNERGIES_SERVICES__<NAME>_LISTEN says otherwise, and serves its metrics on 9100 + its rank.
port_offset=${PORT_OFFSET:-0}
[[ "$port_offset" =~ ^[0-9]+$ ]] || die "PORT_OFFSET must be a whole number"
declare -a backends=()
declare -A metrics_listen=() address_variable=()
rank=0
while read -r service port; do
    [[ -n "$service" ]] || continue
    rank=$((rank + 1))
    backends+=("$service")
    upper=${service^^}
    listen_var="SYNERGIES_SERVICES__${upper}_LISTEN"
    url_var="SYNERGIES_SERVICES__${upper}_URL"
    # By default a client URL follows its service's listen address, so moving one port moves both.
    export "$listen_var=${!listen_var:-127.0.0.1:$((port + port_offset))}"
    export "$url_var=${!url_var:-http://${!listen_var}}"
    metrics_listen[$service]="127.0.0.1:$((9100 + rank + port_offset))"
    address_variable[${!listen_var}]=$listen_var
done < <(env -u SYNERGIES_BIN -u SYNERGIES_LOG_DIR "$BIN" services)
((${#backends[@]})) || die "$BIN services listed no service"
address_variable[$GATEWAY]=GATEWAY

# --- database roles -------------------------------------------------------------------------------

# Each service's own role: `synergies_<service>` (after the schema prefix, so that runs with their
# own schemas have their own roles too: role names are server-wide), unless
# SYNERGIES_DATABASE__ROLES__<SERVICE>_USER names another. Its password is a file of
# $state_dir/secrets/, created on first use (0600 in a 0700 directory, never committed: var/ is
# git-ignored) and kept, so the role keeps its password from one run to the next. With trust
# authentication PostgreSQL does not ask for it; with password authentication it does.
secrets_dir="$state_dir/secrets"
mkdir -p "$secrets_dir"
chmod 0700 "$secrets_dir"
declare -A role_user=() role_password_file=()
# Every role variable is passed explicitly below, to migrate (all of them) and to each service (its
# own): none is inherited, so that no service sees another's.
declare -a role_variables=()
for service in "${backends[@]}"; do
    upper=${service^^}
    user_var="SYNERGIES_DATABASE__ROLES__${upper}_USER"
    role_user[$service]=${!user_var:-${SYNERGIES_DATABASE__SCHEMA_PREFIX:-}synergies_$service}
    role_password_file[$service]="$secrets_dir/$service-database-password"
    if [[ ! -s "${role_password_file[$service]}" ]]; then
        # Hexadecimal: nothing that PostgreSQL's or a URL's quoting would mind.
        (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' \
            >"${role_password_file[$service]}")
        log "created the password of database role ${role_user[$service]} in ${role_password_file[$service]}"
    fi
    role_variables+=("$user_var" "SYNERGIES_DATABASE__ROLES__${upper}_PASSWORD"
        "SYNERGIES_DATABASE__ROLES__${upper}_PASSWORD_FILE")
done

# role_env SERVICE: the VAR=value words that give SERVICE its own role.
role_env() {
    local upper=${1^^}
    printf '%s\0' "SYNERGIES_DATABASE__ROLES__${upper}_USER=${role_user[$1]}" \
        "SYNERGIES_DATABASE__ROLES__${upper}_PASSWORD_FILE=${role_password_file[$1]}"
}

# The configuration refuses unknown SYNERGIES_* keys, and these two belong to this script only, so
# no child may see them; nor may a child inherit a role variable (see above).
declare -a clean_env=(env -u SYNERGIES_BIN -u SYNERGIES_LOG_DIR)
for variable in "${role_variables[@]}"; do clean_env+=(-u "$variable"); done
readonly -a CLEAN_ENV=("${clean_env[@]}")

# A port already taken would make a service fail in a way that is only visible in its log; say it
# up front. `ss` also sees outgoing connections: the defaults (7301 and up) stay below Linux's
# ephemeral range (32768-60999) for that reason, but an address moved into it can be held by
# another program's client socket, and nothing would answer a probe.
port_in_use() {
    local host=${1%:*} port=${1##*:}
    if command -v ss >/dev/null 2>&1; then
        [[ -n "$(ss -Htan exclude time-wait "( sport = :$port )" 2>/dev/null)" ]]
    else
        [[ "$host" == 0.0.0.0 || -z "$host" ]] && host=127.0.0.1
        timeout 1 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null
    fi
}
for address in "${!address_variable[@]}" "${metrics_listen[@]}"; do
    if port_in_use "$address"; then
        hint="(a previous run still alive?)"
        if [[ -n "${address_variable[$address]:-}" ]]; then
            hint="$hint; another address can be given with ${address_variable[$address]}=host:port"
        fi
        die "port ${address##*:} of $address is already in use $hint:
$(ss -Htanp exclude time-wait "( sport = :${address##*:} )" 2>/dev/null || true)"
    fi
done

# --- database and schema --------------------------------------------------------------------------

# Captured, not piped into `grep -q`: with pipefail, grep exiting early can make psql fail with
# SIGPIPE and send us to createdb for a database that exists.
exists=$(psql -X -q -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname='$PG_DB'")
if [[ "$exists" != 1 ]]; then
    log "creating database $PG_DB"
    createdb -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$PG_DB"
fi

mkdir -p "$log_dir"
# As the owner: applies every migration, then creates or updates each service's role (its
# password too) and grants it its schema's rows.
declare -a every_role=()
for service in "${backends[@]}"; do
    mapfile -d '' -O "${#every_role[@]}" every_role < <(role_env "$service")
done
log "applying migrations and granting each service its role (log: $log_dir/migrate.log)"
if ! "${CLEAN_ENV[@]}" "SYNERGIES_DATABASE__URL=$OWNER_DATABASE_URL" "${every_role[@]}" \
    "$BIN" migrate >"$log_dir/migrate.log" 2>&1; then
    tail -n 30 "$log_dir/migrate.log" >&2 || true
    die "migrations failed; full log in $log_dir/migrate.log"
fi

# --- processes ------------------------------------------------------------------------------------

declare -a services=() pids=() unclean=()
cleaned_up=false
force_kill=false

# Stops every child: SIGTERM so each drains in-flight requests and its outbox relay, then SIGKILL
# for whatever is still alive after 15 s (or at once on a second Ctrl-C). Runs once, whichever of
# EXIT/INT/TERM comes first. Services that needed SIGKILL or exited non-zero are listed in
# `unclean`, so the smoke test also checks graceful shutdown.
cleanup() {
    $cleaned_up && return 0
    cleaned_up=true
    trap 'force_kill=true' INT TERM
    ((${#pids[@]})) || return 0
    log "stopping ${services[*]}"
    local pid i status
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    local deadline=$((SECONDS + 15)) alive
    while :; do
        alive=()
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
        ((${#alive[@]})) || break
        if $force_kill || ((SECONDS >= deadline)); then
            log "still running, killing: ${alive[*]}"
            for pid in "${alive[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
            break
        fi
        sleep 0.2
    done
    # Reap every child (no zombies, no exit racing ours) and keep the ones that did not stop well.
    for i in "${!pids[@]}"; do
        status=0
        wait "${pids[$i]}" 2>/dev/null || status=$?
        ((status == 0)) || unclean+=("${services[$i]} (exit status $status)")
    done
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

# start SERVICE [VAR=value...]: runs `synergies serve SERVICE` in the background.
start() {
    local service=$1
    shift
    # A simple command, not a shell function: bash then execs it in the forked child, so $! is the
    # service's own pid and SIGTERM reaches the service rather than an intermediate subshell.
    # The log is truncated on each run so the tail shown on failure belongs to this run.
    "${CLEAN_ENV[@]}" "$@" "$BIN" serve "$service" >"$log_dir/$service.log" 2>&1 &
    services+=("$service")
    pids+=("$!")
    log "started $service (pid $!, log $log_dir/$service.log)"
}

for service in "${backends[@]}"; do
    mapfile -d '' own_role < <(role_env "$service")
    start "$service" "SYNERGIES_TELEMETRY__METRICS_LISTEN=${metrics_listen[$service]}" "${own_role[@]}"
done
# The gateway's /metrics on 9100 (rank 0), never on its public port.
start gateway "SYNERGIES_TELEMETRY__METRICS_LISTEN=127.0.0.1:$((9100 + port_offset))"

# Prints which child has exited, with the end of its log, or returns 1 if all are alive.
report_dead_child() {
    local i
    for i in "${!pids[@]}"; do
        if ! kill -0 "${pids[$i]}" 2>/dev/null; then
            log "${services[$i]} (pid ${pids[$i]}) exited; last lines of $log_dir/${services[$i]}.log:"
            tail -n 30 "$log_dir/${services[$i]}.log" >&2 || true
            return 0
        fi
    done
    return 1
}

# --- readiness ------------------------------------------------------------------------------------

# Polls rather than sleeping a fixed time: ready as soon as it is ready, and a dead child is noticed
# at once instead of after the whole timeout.
# `?services=all`: ready only once every service answers too (the plain /readyz is the gateway's
# own readiness, which stays up while a service is down).
readyz="http://$GATEWAY/readyz?services=all"
deadline=$((SECONDS + ready_timeout))
until curl -fsS --max-time 2 -o /dev/null "$readyz" 2>/dev/null; do
    if report_dead_child; then
        die "a service exited before the gateway became ready"
    fi
    if ((SECONDS >= deadline)); then
        # Whatever /readyz answers names the dependency that is not ready.
        { curl -sS --max-time 2 "$readyz" || true; echo; } >&2
        die "the gateway was not ready after ${ready_timeout} s ($readyz); logs are in $log_dir"
    fi
    sleep 0.2
done

cat <<EOF
Synergies is ready.
  gateway:        http://$GATEWAY
  operator token: $SYNERGIES_IDENTITY__OPERATOR_TOKEN
  logs:           $log_dir
EOF

if $stop_after_ready; then
    cleanup
    if ((${#unclean[@]})); then
        die "did not stop cleanly on SIGTERM: ${unclean[*]}; logs are in $log_dir"
    fi
    log "stopped cleanly"
    exit 0
fi

log "running; press Ctrl-C to stop"
# Returns as soon as any child exits (or a signal arrives, which runs the trap): one dead service
# means the stack is broken, so stop the rest rather than limp on.
status=0
wait -n "${pids[@]}" || status=$?
report_dead_child || true
die "a service stopped (exit status $status); stopping the others"
