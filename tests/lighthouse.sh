#!/usr/bin/env bash
# Lighthouse's performance and accessibility scores of the home, search, listing and map pages,
# against a platform already running (e.g. `cargo run --release -p synergies -- --demo`).
# Development time only: it installs Lighthouse from the npm registry into a temporary folder
# (the browser tests need nothing downloaded) and uses Debian's Chromium.
#
#   tests/lighthouse.sh [base URL, default http://127.0.0.1:8080] [tenant, default dijon-metropole]
set -euo pipefail
base=${1:-http://127.0.0.1:8080}
tenant=${2:-dijon-metropole}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm install --silent --no-audit --no-fund lighthouse@12 >/dev/null)
listing=$(curl -fsS "$base/$tenant/annonces" | grep -o "/$tenant/annonces/[0-9a-f-]\{36\}" | head -1)
status=0
for path in "/$tenant/" "/$tenant/annonces" ${listing:+"$listing"}; do
  CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium} "$work/node_modules/.bin/lighthouse" "$base$path" \
    --only-categories=performance,accessibility --quiet --output=json --output-path="$work/report.json" \
    --chrome-flags="--headless=new --no-sandbox --disable-gpu"
  node -e '
    const report = require(process.argv[1]);
    const scores = Object.values(report.categories).map((c) => `${c.id} ${Math.round(c.score * 100)}`);
    console.log(`${process.argv[2]}: ${scores.join(", ")}`);
    process.exit(Object.values(report.categories).every((c) => c.score === 1) ? 0 : 1);
  ' "$work/report.json" "$path" || status=1
done
exit $status
