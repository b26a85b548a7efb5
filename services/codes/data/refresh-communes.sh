#!/usr/bin/env bash
# Regenerates communes.tsv and epci.tsv (and the licence notice beside them), next to this script, from the npm package
# @etalab/decoupage-administratif (MIT licence, Etalab; INSEE's Code officiel géographique and
# the DGCL's composition of intercommunalities). Needs npm and node.
#
#   services/codes/data/refresh-communes.sh [version]   # default: the version shipped now
#
# Only current communes (type `commune-actuelle`) are kept; each carries the SIREN of the
# intercommunality (EPCI à fiscalité propre) it belongs to, or nothing for the few that belong
# to none.
set -euo pipefail
version=${1:-6.0.0}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "@etalab/decoupage-administratif@$version" >/dev/null)
tar xzf "$work"/etalab-decoupage-administratif-*.tgz -C "$work"

# The MIT licence asks for its notice to travel with the data.
cp "$work/package/LICENSE" "$here/decoupage-administratif.LICENSE"

node - "$work/package" "$here" <<'JS'
const fs = require("fs");
const [pkg, out] = process.argv.slice(2);
const meta = JSON.parse(fs.readFileSync(`${pkg}/package.json`, "utf8"));
const communes = JSON.parse(fs.readFileSync(`${pkg}/data/communes.json`, "utf8"));
const epcis = JSON.parse(fs.readFileSync(`${pkg}/data/epci.json`, "utf8"));
const source = `# Source: npm package ${meta.name} ${meta.version} (licence ${meta.license}, Etalab),`;
const clean = (text) => {
  if (/[\t\n]/.test(text)) throw new Error(`unexpected tab or newline in ${JSON.stringify(text)}`);
  return text;
};

const epciOf = new Map();
for (const epci of epcis) {
  for (const member of epci.membres) {
    if (epciOf.has(member.code)) throw new Error(`commune ${member.code} in two EPCI`);
    epciOf.set(member.code, epci.code);
  }
}
const byCode = (a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);

const communeLines = communes
  .filter((c) => c.type === "commune-actuelle")
  .sort(byCode)
  .map((c) =>
    [c.code, clean(c.nom), (c.codesPostaux || []).join(","), epciOf.get(c.code) || ""].join("\t"),
  );
fs.writeFileSync(
  `${out}/communes.tsv`,
  [
    `${source} data/communes.json`,
    "# (type commune-actuelle) and data/epci.json. Regenerate with refresh-communes.sh.",
    "# insee_code\tname\tpostal_codes (comma-separated)\tepci_siren",
    ...communeLines,
  ].join("\n") + "\n",
);

const epciLines = [...epcis]
  .sort(byCode)
  .map((e) => [e.code, clean(e.nom), e.type].join("\t"));
fs.writeFileSync(
  `${out}/epci.tsv`,
  [
    `${source} data/epci.json.`,
    "# Intercommunalities (EPCI à fiscalité propre). Regenerate with refresh-communes.sh.",
    "# siren\tname\ttype (CC, CA, CU, METRO, MET69)",
    ...epciLines,
  ].join("\n") + "\n",
);
console.log(`${communeLines.length} communes, ${epciLines.length} intercommunalities (${meta.name} ${meta.version})`);
JS
