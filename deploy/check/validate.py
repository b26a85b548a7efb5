"""Checks of deploy/check.sh that no off-the-shelf validator does.

    validate.py policies RENDERED.yaml    operational rules of a rendered overlay
    validate.py compose FILE              the Compose specification's JSON schema, hardening,
                                          one database role per service from a secret
    validate.py cnpg FILE                 CloudNativePG's CRD schemas (Cluster, ScheduledBackup)
    validate.py nats-values FILE          keys known to the NATS Helm chart
    validate.py alerts FILE               Prometheus rule file structure and expressions
    validate.py dashboard FILE            Grafana dashboard structure and queries

Each prints one line when the file is valid and exits 1 with every problem otherwise.
"""

import json
import re
import sys
from pathlib import Path

import jsonschema
import yaml

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


def fail(path, problems):
    for problem in problems:
        print(f"{path}: {problem}", file=sys.stderr)
    sys.exit(1)


def load_documents(path):
    with open(path, encoding="utf-8") as file:
        return [doc for doc in yaml.safe_load_all(file) if doc is not None]


def schema_errors(schema, instance):
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}"
        for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    ]


# ---- policies -------------------------------------------------------------------------------

def selects(selector, labels):
    """Whether a label selector (matchLabels and `In` matchExpressions) selects these labels."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        if expression["operator"] != "In":
            raise ValueError(f"unsupported operator {expression['operator']}")
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


def check_policies(path):
    """What a platform team relies on, for every Deployment of the rendered overlay."""
    docs = load_documents(path)
    by_kind = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], []).append(doc)
    problems = []
    deployments = by_kind.get("Deployment", [])
    if not deployments:
        problems.append("no Deployment rendered")
    for deployment in deployments:
        name = deployment["metadata"]["name"]
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        pod = deployment["spec"]["template"]["spec"]
        if not any(
            selects(pdb["spec"]["selector"], pod_labels)
            for pdb in by_kind.get("PodDisruptionBudget", [])
        ):
            problems.append(f"Deployment {name}: no PodDisruptionBudget selects its pods")
        policies = [
            policy
            for policy in by_kind.get("NetworkPolicy", [])
            if selects(policy["spec"]["podSelector"], pod_labels)
        ]
        for direction in ("Ingress", "Egress"):
            if not any(direction in policy["spec"]["policyTypes"] for policy in policies):
                problems.append(f"Deployment {name}: no NetworkPolicy restricts its {direction}")
        # Every process of the platform uses the bus (the gateway for the live inbox): a pod
        # that cannot reach NATS waits at start.
        if not any(
            any(port.get("port") == 4222 for port in rule.get("ports") or [])
            for policy in policies
            if "Egress" in policy["spec"]["policyTypes"]
            for rule in policy["spec"].get("egress") or []
        ):
            problems.append(f"Deployment {name}: no NetworkPolicy lets it reach NATS (4222)")
        args = pod["containers"][0].get("args", [])
        if args[:1] == ["serve"] and args[1:] != ["gateway"]:
            init = pod.get("initContainers") or []
            if not any(c.get("args") == ["migrate", "--service", args[1]] for c in init):
                problems.append(
                    f"Deployment {name}: no init container runs `migrate --service {args[1]}`"
                )
            # The service signs in as its own role: it gets its password, and neither the
            # owner's URL (from the Secret) nor another service's password.
            own = f"SYNERGIES_DATABASE__ROLES__{args[1].upper()}_PASSWORD"
            secrets = [
                (env["name"], env["valueFrom"]["secretKeyRef"]["key"])
                for env in pod["containers"][0].get("env") or []
                if "secretKeyRef" in (env.get("valueFrom") or {})
            ]
            for variable, key in secrets:
                if key == "SYNERGIES_DATABASE__URL" or (
                    key.startswith("SYNERGIES_DATABASE__ROLES__") and key != own
                ):
                    problems.append(f"Deployment {name}: its service container gets {key}")
            if (own, own) not in secrets:
                problems.append(f"Deployment {name}: its service container lacks {own}")
        for container in pod["containers"] + (pod.get("initContainers") or []):
            security = container.get("securityContext") or {}
            if security.get("readOnlyRootFilesystem") is not True:
                problems.append(f"Deployment {name}: {container['name']} has a writable root")
            if "limits" not in (container.get("resources") or {}):
                problems.append(f"Deployment {name}: {container['name']} has no limits")
    if by_kind.get("Job"):
        problems.append("a Job is rendered: its immutable pod template breaks the next apply")
    if problems:
        fail(path, problems)
    print(f"{Path(path).name}: every Deployment has a PodDisruptionBudget, NetworkPolicies, "
          "its migration init container and its own database role")


# ---- compose --------------------------------------------------------------------------------

ROLE_PREFIX = "SYNERGIES_DATABASE__ROLES__"


def compose_environment(service):
    """A service's environment as a dict, whichever of the spec's two forms it is written in."""
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        return dict(item.split("=", 1) if "=" in item else (item, None) for item in environment)
    return environment


def compose_role_problems(name, service, secrets):
    """Database credentials as in Kubernetes: only `migrate` holds the owner's password and every
    service's role; each service gets its own role, whose password is a file secret it mounts,
    and no other service's."""
    problems = []
    environment = compose_environment(service)
    command = service.get("command") or []
    url = str(environment.get("SYNERGIES_DATABASE__URL", ""))
    mounted = {s if isinstance(s, str) else s.get("source") for s in service.get("secrets") or []}
    for variable, value in environment.items():
        if variable.startswith(ROLE_PREFIX) and variable.endswith("_PASSWORD"):
            problems.append(f"services/{name}: {variable} in clear; use _PASSWORD_FILE and a secret")
        if variable.startswith(ROLE_PREFIX) and variable.endswith("_PASSWORD_FILE"):
            source = str(value).removeprefix("/run/secrets/")
            if source not in mounted or source not in secrets:
                problems.append(f"services/{name}: {variable} is not a secret it mounts")
    roles = {
        variable[len(ROLE_PREFIX):-len("_USER")].lower()
        for variable in environment
        if variable.startswith(ROLE_PREFIX) and variable.endswith("_USER")
    }
    password_file = str(environment.get("SYNERGIES_DATABASE__PASSWORD_FILE", ""))
    if password_file and password_file.removeprefix("/run/secrets/") not in mounted & set(secrets):
        problems.append(f"services/{name}: SYNERGIES_DATABASE__PASSWORD_FILE is not a secret it mounts")
    if command[:1] == ["migrate"]:
        # The owner's password comes from its secret, never written in the URL.
        if re.search(r"://[^/@]*:[^/@]*@", url):
            problems.append(f"services/{name}: the owner's password in clear in SYNERGIES_DATABASE__URL; "
                            "use SYNERGIES_DATABASE__PASSWORD_FILE and a secret")
        return problems
    if "@" in url:
        problems.append(f"services/{name}: SYNERGIES_DATABASE__URL carries the owner's credentials")
    if command[:1] == ["serve"] and command[1:] != ["gateway"]:
        if roles != {command[1]}:
            problems.append(f"services/{name}: database roles {sorted(roles)}, not its own alone")
    elif roles:
        problems.append(f"services/{name}: database roles {sorted(roles)} it does not use")
    return problems


def check_compose(path):
    schema = json.loads((SCHEMAS / "compose-spec.json").read_text(encoding="utf-8"))
    (compose,) = load_documents(path)
    problems = schema_errors(schema, compose)
    secrets = compose.get("secrets") or {}
    # Hardening the schema cannot require: every container runs read-only, without capabilities
    # (beyond those it adds back by name), without privilege escalation, within limits.
    for name, service in compose.get("services", {}).items():
        if service.get("read_only") is not True:
            problems.append(f"services/{name}: not read_only")
        if service.get("cap_drop") != ["ALL"]:
            problems.append(f"services/{name}: cap_drop is not [ALL]")
        if "no-new-privileges:true" not in (service.get("security_opt") or []):
            problems.append(f"services/{name}: no security_opt no-new-privileges:true")
        limits = ((service.get("deploy") or {}).get("resources") or {}).get("limits") or {}
        if not {"cpus", "memory"} <= limits.keys():
            problems.append(f"services/{name}: no cpu and memory limits")
        if service.get("image", "").startswith("synergies"):
            problems.extend(compose_role_problems(name, service, secrets))
        if "POSTGRES_PASSWORD" in compose_environment(service):
            problems.append(f"services/{name}: POSTGRES_PASSWORD in clear; use POSTGRES_PASSWORD_FILE and a secret")
    for name, secret in secrets.items():
        # A secret's file is generated (compose-secrets.sh) into the git-ignored deploy/secrets/.
        if not str(secret.get("file", "")).startswith("./secrets/"):
            problems.append(f"secrets/{name}: not a file of ./secrets/ (git-ignored, generated)")
    if problems:
        fail(path, problems)
    print(f"{path}: valid against the Compose specification, hardened, one database role "
          "per service with its password from a secret")


# ---- CloudNativePG --------------------------------------------------------------------------

def strict(schema):
    """A CRD schema that refuses unknown fields, as the API server's strict field validation
    (`kubectl apply --validate=strict`, the default) does; a CRD's own schema only prunes them."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {key: strict(value) for key, value in schema.items()}
    if (
        "properties" in schema
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        schema["additionalProperties"] = False
    return schema


def check_cnpg(path):
    schemas = strict(json.loads((SCHEMAS / "cnpg-v1.json").read_text(encoding="utf-8")))
    problems = []
    kinds = []
    for doc in load_documents(path):
        kind = doc.get("kind")
        kinds.append(kind)
        if doc.get("apiVersion") != "postgresql.cnpg.io/v1" or kind not in schemas:
            problems.append(f"{kind}: not a postgresql.cnpg.io/v1 Cluster or ScheduledBackup")
            continue
        problems += [f"{kind}: {error}" for error in schema_errors(schemas[kind], doc)]
    if "Cluster" not in kinds:
        problems.append("no Cluster")
    if problems:
        fail(path, problems)
    print(f"{path}: valid against CloudNativePG's CRD schemas ({', '.join(kinds)})")


# ---- NATS chart values ----------------------------------------------------------------------

def unknown_keys(values, defaults, prefix=""):
    """Keys of `values` the chart's defaults do not have. An empty mapping in the defaults is
    free-form (`merge`, `env`, `resources`, `topologySpreadConstraints`...)."""
    if not isinstance(values, dict) or not isinstance(defaults, dict) or defaults == {}:
        return []
    problems = []
    for key, value in values.items():
        if key not in defaults:
            problems.append(f"{prefix}{key}: not a value of the chart")
        else:
            problems += unknown_keys(value, defaults[key], f"{prefix}{key}.")
    return problems


def check_nats_values(path):
    (defaults,) = load_documents(SCHEMAS / "nats-chart-values.yaml")
    (values,) = load_documents(path)
    problems = unknown_keys(values, defaults)
    cluster = values.get("config", {}).get("cluster", {})
    if not (cluster.get("enabled") and cluster.get("replicas", 0) >= 3):
        problems.append("config.cluster: not a cluster of three servers or more")
    if not values.get("config", {}).get("jetstream", {}).get("enabled"):
        problems.append("config.jetstream: JetStream is not enabled")
    if problems:
        fail(path, problems)
    print(f"{path}: every key is one of the NATS chart's; 3-server JetStream cluster")


# ---- Prometheus rules and Grafana dashboard -------------------------------------------------

def balanced(expression):
    depth = 0
    for char in expression:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


DURATION = re.compile(r"^([0-9]+(ms|s|m|h|d|w|y))+$")


def check_alerts(path):
    """The structure promtool checks (groups of named rules with an expression), without
    promtool's PromQL parser: expressions are checked for balanced brackets and known metrics."""
    (rules_file,) = load_documents(path)
    problems = []
    if set(rules_file) != {"groups"}:
        problems.append("the file must hold `groups` only")
    names = set()
    for group in rules_file.get("groups", []):
        if set(group) - {"name", "interval", "rules", "limit"} or "name" not in group:
            problems.append(f"group {group.get('name')}: unknown or missing fields")
        if group.get("name") in names:
            problems.append(f"group {group['name']}: defined twice")
        names.add(group.get("name"))
        for rule in group.get("rules", []):
            label = rule.get("alert") or rule.get("record") or "?"
            allowed = {"alert", "expr", "for", "keep_firing_for", "labels", "annotations"}
            if "record" in rule:
                allowed = {"record", "expr", "labels"}
            if set(rule) - allowed:
                problems.append(f"rule {label}: unknown fields {sorted(set(rule) - allowed)}")
            if ("alert" in rule) == ("record" in rule):
                problems.append(f"rule {label}: needs exactly one of alert and record")
            expression = str(rule.get("expr", ""))
            if not expression.strip() or not balanced(expression):
                problems.append(f"rule {label}: empty or unbalanced expression")
            if "for" in rule and not DURATION.match(str(rule["for"])):
                problems.append(f"rule {label}: `for` is not a duration")
            if "alert" in rule:
                if (rule.get("labels") or {}).get("severity") not in {"warning", "critical"}:
                    problems.append(f"rule {label}: severity must be warning or critical")
                if not (rule.get("annotations") or {}).get("summary"):
                    problems.append(f"rule {label}: no summary annotation")
    if problems:
        fail(path, problems)
    count = sum(len(group.get("rules", [])) for group in rules_file.get("groups", []))
    print(f"{path}: {count} rules well formed")


def check_dashboard(path):
    dashboard = json.loads(Path(path).read_text(encoding="utf-8"))
    problems = []
    for field in ("title", "uid", "panels", "schemaVersion"):
        if field not in dashboard:
            problems.append(f"no `{field}`")
    ids = set()
    for panel in dashboard.get("panels", []):
        title = panel.get("title", "?")
        if panel.get("id") in ids:
            problems.append(f"panel {title}: id {panel.get('id')} used twice")
        ids.add(panel.get("id"))
        if not {"x", "y", "w", "h"} <= set(panel.get("gridPos", {})):
            problems.append(f"panel {title}: no gridPos")
        if panel.get("type") == "row":
            continue
        targets = panel.get("targets") or []
        if not targets:
            problems.append(f"panel {title}: no query")
        for target in targets:
            expression = target.get("expr", "")
            if not expression or not balanced(expression):
                problems.append(f"panel {title}: empty or unbalanced query")
    if problems:
        fail(path, problems)
    print(f"{path}: {len(dashboard['panels'])} panels well formed")


CHECKS = {
    "policies": check_policies,
    "compose": check_compose,
    "cnpg": check_cnpg,
    "nats-values": check_nats_values,
    "alerts": check_alerts,
    "dashboard": check_dashboard,
}

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in CHECKS:
        sys.exit(f"usage: validate.py {{{'|'.join(CHECKS)}}} FILE")
    CHECKS[sys.argv[1]](sys.argv[2])
