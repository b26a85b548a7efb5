#!/usr/bin/env bash
# Refreshes the third-party files the browser tests inject into pages, from the npm registry
# (at development time only: the tests never download anything).
#
#   tests/vendor/refresh.sh [axe-core version]   # default: the version shipped now
set -euo pipefail
version=${1:-4.14.1}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "axe-core@$version" >/dev/null)
tar xzf "$work"/axe-core-*.tgz -C "$work"
mkdir -p "$here/axe-core"
# The MPL-2.0 notice travels with the file.
cp "$work/package/axe.min.js" "$work/package/LICENSE" "$here/axe-core/"
echo "axe-core $version"
