#!/usr/bin/env bash
# Checks every deployment file without a cluster or a Docker engine:
#   - renders each kustomize overlay (`kubectl kustomize`) and validates every manifest against
#     the Kubernetes API schemas of the oldest and newest supported releases (kubernetes-validate,
#     strict: unknown fields are errors);
#   - validates deploy/compose.yaml against the Compose specification's JSON schema, and checks
#     that every container is hardened and every service signs in as its own database role;
#   - validates the CloudNativePG Cluster and ScheduledBackup against the operator's CRD schema;
#   - checks that every key of deploy/nats/values.yaml exists in the NATS chart's values;
#   - checks the Prometheus alert rules with promtool (Debian's `prometheus` package, installed
#     here when missing and root) and runs their unit tests; checks the Grafana dashboard.
# The schemas of the last three are kept in deploy/schemas/ (see README.md there); nothing is
# downloaded but the Python packages, into target/deploy-check-python the first time.
#
#   deploy/check.sh           # from anywhere; exits non-zero on the first invalid file
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# The Kubernetes releases the manifests must be valid for.
KUBERNETES_VERSIONS=(1.30.0 1.37.0)

venv="target/deploy-check-python"
requirements="deploy/check/requirements.txt"
if ! cmp -s "$requirements" "$venv/requirements.txt" 2>/dev/null; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$venv/requirements.txt"
fi

if ! command -v kubectl >/dev/null; then
    echo "kubectl is needed to render the overlays (Debian: apt-get install kubectl)" >&2
    exit 1
fi

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# The production overlay refuses to build without its (git-ignored) secrets.env: render a copy
# of k8s/ that has the example in its place, never touching the real overlay.
cp -r k8s "$scratch/k8s"
if [[ ! -e "$scratch/k8s/overlays/production/secrets.env" ]]; then
    cp k8s/overlays/production/secrets.env.example "$scratch/k8s/overlays/production/secrets.env"
fi

for overlay in "$scratch"/k8s/overlays/*/; do
    name="$(basename "$overlay")"
    rendered="$scratch/$name.yaml"
    kubectl kustomize "$overlay" > "$rendered"
    count="$(grep -c '^kind:' "$rendered")"
    for version in "${KUBERNETES_VERSIONS[@]}"; do
        "$venv/bin/kubernetes-validate" --strict --quiet -k "$version" "$rendered"
    done
    echo "k8s/overlays/$name: $count manifests render and validate (Kubernetes ${KUBERNETES_VERSIONS[*]})"
    "$venv/bin/python" deploy/check/validate.py policies "$rendered"
done

"$venv/bin/python" deploy/check/validate.py compose deploy/compose.yaml
"$venv/bin/python" deploy/check/validate.py cnpg deploy/postgres/cluster.yaml
"$venv/bin/python" deploy/check/validate.py nats-values deploy/nats/values.yaml

# Prometheus rules: promtool parses the PromQL and runs alerts.test.yaml. Without it (not root,
# no Debian archive), the structural check of validate.py still runs, and says what it missed.
if ! command -v promtool >/dev/null && [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "installing promtool (Debian's prometheus package; log in target/apt-prometheus.log)"
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends prometheus; } >target/apt-prometheus.log 2>&1 \
        || tail -5 target/apt-prometheus.log >&2
fi
"$venv/bin/python" deploy/check/validate.py alerts deploy/monitoring/alerts.yaml
if command -v promtool >/dev/null; then
    promtool check rules deploy/monitoring/alerts.yaml
    promtool test rules deploy/monitoring/alerts.test.yaml
else
    echo "WARNING: promtool unavailable: PromQL not parsed, alerts.test.yaml not run" >&2
fi
"$venv/bin/python" deploy/check/validate.py dashboard deploy/monitoring/grafana-dashboard.json
echo "deploy: every file checked"
