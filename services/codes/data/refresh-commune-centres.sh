#!/usr/bin/env bash
# Regenerates commune-centres.tsv (and the licence notice beside it), next to this script, from
# the npm package @etalab/fr-bounding-boxes (Etalab: the rectangles that enclose each commune's
# outline in IGN's ADMIN EXPRESS; data under the Licence Ouverte 2.0, code MIT). Each current
# commune of communes.tsv is placed at the centre of its rectangle. The rectangles date from
# 2017: a commune that has since absorbed others (`anciensCodes` in
# @etalab/decoupage-administratif, the version communes.tsv comes from) takes the rectangle
# enclosing its own and theirs, or theirs alone when its code is new. Needs npm and node.
#
#   services/codes/data/refresh-commune-centres.sh [bounding-boxes version] [decoupage version]
set -euo pipefail
boxes_version=${1:-0.1.3}
decoupage_version=${2:-6.0.0}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir "$work/boxes" "$work/decoupage"
(cd "$work" && npm pack --silent "@etalab/fr-bounding-boxes@$boxes_version" >/dev/null)
(cd "$work" && npm pack --silent "@etalab/decoupage-administratif@$decoupage_version" >/dev/null)
tar xzf "$work"/etalab-fr-bounding-boxes-*.tgz -C "$work/boxes"
tar xzf "$work"/etalab-decoupage-administratif-*.tgz -C "$work/decoupage"

# The MIT licence asks for its notice to travel with what is derived from the package.
cp "$work/boxes/package/LICENSE" "$here/fr-bounding-boxes.LICENSE"

node - "$work/boxes/package" "$work/decoupage/package" "$here" <<'JS'
const fs = require("fs");
const [boxes, decoupage, out] = process.argv.slice(2);
const meta = JSON.parse(fs.readFileSync(`${boxes}/package.json`, "utf8"));
const boxOf = new Map(
  JSON.parse(fs.readFileSync(`${boxes}/dist/communes.json`, "utf8")).map((c) => [
    c.id.replace("fr:commune:", ""),
    c.bbox,
  ]),
);
const former = new Map(
  JSON.parse(fs.readFileSync(`${decoupage}/data/communes.json`, "utf8"))
    .filter((c) => c.type === "commune-actuelle")
    .map((c) => [c.code, c.anciensCodes || []]),
);
// The communes this repository ships (communes.tsv), in its order.
const codes = fs
  .readFileSync(`${out}/communes.tsv`, "utf8")
  .split("\n")
  .filter((line) => line && !line.startsWith("#"))
  .map((line) => line.split("\t")[0]);

const enclosing = (rectangles) =>
  rectangles.reduce((a, b) => [
    Math.min(a[0], b[0]),
    Math.min(a[1], b[1]),
    Math.max(a[2], b[2]),
    Math.max(a[3], b[3]),
  ]);
const lines = [];
let merged = 0;
let missing = 0;
for (const code of codes) {
  // A former code that is a current commune again (a merger undone) is not part of it.
  const absorbed = (former.get(code) || []).filter((c) => !former.has(c) && boxOf.has(c));
  const parts = [code, ...absorbed].map((c) => boxOf.get(c)).filter(Boolean);
  if (parts.length === 0) {
    missing += 1;
    continue;
  }
  if (absorbed.length > 0) merged += 1;
  const box = enclosing(parts);
  const [west, south, east, north] = box;
  // Four decimals: about 10 m, far finer than a commune.
  lines.push([code, ((south + north) / 2).toFixed(4), ((west + east) / 2).toFixed(4)].join("\t"));
}
fs.writeFileSync(
  `${out}/commune-centres.tsv`,
  [
    `# Source: npm package ${meta.name} ${meta.version} (data: Licence Ouverte 2.0, Etalab, from IGN's`,
    "# ADMIN EXPRESS; code: MIT), dist/communes.json: the centre of the rectangle enclosing each",
    `# commune of communes.tsv; ${merged} that absorbed others since take the rectangle enclosing theirs too;`,
    `# ${missing} have none (overseas collectivities, mergers undone since) and are left out.`,
    "# Regenerate with refresh-commune-centres.sh.",
    "# insee_code\tlatitude\tlongitude (WGS 84)",
    ...lines,
  ].join("\n") + "\n",
);
JS
