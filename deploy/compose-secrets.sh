#!/usr/bin/env bash
# Creates the secrets deploy/compose.yaml mounts (the owner's and each service's database
# password) as files of
# deploy/secrets/, one random password each. Run once before `docker compose up`; files already
# there are kept, so running it again changes nothing. deploy/secrets/ is git-ignored: the
# passwords are never committed.
#
#   deploy/compose-secrets.sh           # creates what is missing, lists every secret file
#   deploy/compose-secrets.sh --rotate  # new passwords for all; then
#       docker compose -f deploy/compose.yaml up -d --force-recreate
#   (the services read their password at start; migrate sets the new ones before they restart)
#
# The list of secrets is compose.yaml's (`file: ./secrets/<name>` under `secrets:`), so the two
# cannot drift apart.
set -euo pipefail

rotate=false
case "${1:-}" in
    "") ;;
    --rotate) rotate=true ;;
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compose-secrets.sh: unknown option: $1 (try --help)" >&2; exit 2 ;;
esac

deploy="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
names=$(sed -n 's|^ *file: \./secrets/\([A-Za-z0-9._-]*\)$|\1|p' "$deploy/compose.yaml")
[[ -n "$names" ]] || { echo "compose-secrets.sh: no secret file in $deploy/compose.yaml" >&2; exit 1; }

# Compose bind-mounts a file secret with its host owner and mode, and the services run as uid
# 10001, not as you: the files must be readable by others (0644), so the directory is what
# keeps other users of this machine out (0700). Inside a container, only that service's own
# file is mounted.
mkdir -p "$deploy/secrets"
chmod 0700 "$deploy/secrets"
for name in $names; do
    file="$deploy/secrets/$name"
    if [[ -s "$file" ]] && ! $rotate; then
        echo "kept    $file"
        continue
    fi
    # PostgreSQL's image reads the owner's password only when it first initialises its data
    # volume: a new one here would lock `migrate` out. Rotate it by hand (docs/operations.md).
    if [[ -s "$file" && "$name" == database-owner-password ]]; then
        echo "kept    $file (the owner's password: rotate it with ALTER ROLE, see docs/operations.md)"
        continue
    fi
    # Hexadecimal: no character that a URL, a shell or PostgreSQL's quoting would mind.
    (umask 022 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$file.new")
    chmod 0644 "$file.new"
    mv "$file.new" "$file"
    echo "created $file"
done
