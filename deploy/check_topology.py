#!/usr/bin/env python3
"""Offline checks of deploy/compose and deploy/k8s, called by deploy/check.sh.

  check_topology.py compose RESOLVED.yml   RESOLVED.yml: `docker-compose config` of the stack
  check_topology.py k8s DOCS.yml [DOCS.yml…] every manifest document (files, or kustomize output)

Prints `ok   …` lines, `FAIL …` lines on stderr, and exits 1 on any failure. Needs PyYAML.
What is checked is what can be without a Docker engine or a cluster: structure, references between
objects, and that every setting Loa's production checks require is named (never its value).
"""
import os
import re
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CARRIERS = ["viettel", "vinaphone", "mobifone", "vietnamobile", "gmobile"]
DEV_PREFIXES = ("dev-", "test-")
errors = []


def mounts(service):
    """(source, target) of each volume, from the short (src:dst[:mode]) or the long syntax."""
    out = []
    for v in service.get("volumes", []):
        if isinstance(v, dict):
            out.append((str(v.get("source", "")), str(v.get("target", ""))))
        else:
            parts = str(v).split(":")
            out.append((parts[0], parts[1]) if len(parts) > 1 else ("", parts[0]))
    return out


def fail(message):
    errors.append(message)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def required_settings(api):
    """What ProductionChecks.cs (API) and CarrierChecks.cs (both; Url for a standalone dispatcher) need."""
    names = ["ConnectionStrings__Loa", "ConnectionStrings__RabbitMq", "Loa__Database", "Loa__Transport"]
    for c in CARRIERS:
        names += [f"Loa__Carriers__{c}__Credential", f"Loa__Carriers__{c}__ReceiptSecret", f"Loa__Carriers__{c}__Url"]
    if not api:
        names += ["Loa__Dispatcher__PublicUrl"]
    return names


def check_loa_env(where, env, api):
    """env: name -> value, as the process will see it (unresolved secrets may be empty)."""
    for name in required_settings(api):
        if name not in env:
            fail(f"{where}: {name} is not set (a production check or the host itself needs it)")
    for name, value in env.items():
        if isinstance(value, str) and value.strip().lower().startswith(DEV_PREFIXES):
            fail(f"{where}: {name} has a development value")
        if isinstance(value, str) and value.strip() in {"dev-author", "dev-approver", "dev-operator", "dev-admin"}:
            fail(f"{where}: {name} is a development key")
    if env.get("Loa__Audit__Anchor__Directory") and "Loa__Audit__Anchor__Secret" not in env:
        fail(f"{where}: Loa__Audit__Anchor__Directory is set without Loa__Audit__Anchor__Secret")
    if str(env.get("Loa__Simulators__Enabled", "")).lower() != "false":
        fail(f"{where}: Loa__Simulators__Enabled must be false in production")
    if env.get("DOTNET_ENVIRONMENT") != "Production":
        fail(f"{where}: DOTNET_ENVIRONMENT must be Production (the production checks run outside Development)")
    if str(env.get("Loa__Dispatcher__InProcess", "")).lower() != "false":
        fail(f"{where}: Loa__Dispatcher__InProcess must be false (dispatchers run on their own)")
    if env.get("Loa__Database") != "SqlServer" or env.get("Loa__Transport") != "RabbitMq":
        fail(f"{where}: production runs on SqlServer and RabbitMq")


# ---------------------------------------------------------------------------------------------
def compose(resolved_path):
    compose_dir = os.path.join(HERE, "compose")
    doc = yaml.safe_load(read(resolved_path))
    services = doc.get("services", {})
    expected = ["sqlserver", "sqlserver-init", "rabbitmq-1", "rabbitmq-2", "rabbitmq-3", "rabbitmq-lb", "api-1", "api-2",
                "proxy", "dispatcher-1", "dispatcher-2", "dispatcher-3", "prometheus", "grafana", "otel-collector"]
    for s in expected:
        if s not in services:
            fail(f"compose: no service {s}")
    one_shot = {"sqlserver-init"}
    no_shell = {"otel-collector"}  # distroless image: no command to run a healthcheck with
    for name, s in services.items():
        if name in one_shot:
            if s.get("restart") not in (None, "no"):
                fail(f"compose {name}: a one-shot service must not restart")
            continue
        if s.get("restart") not in ("always", "unless-stopped", "on-failure"):
            fail(f"compose {name}: no restart policy")
        if name not in no_shell and not s.get("healthcheck", {}).get("test"):
            fail(f"compose {name}: no healthcheck")
        for dep, how in (s.get("depends_on") or {}).items():
            if dep not in services:
                fail(f"compose {name}: depends on unknown service {dep}")
            elif not isinstance(how, dict) or how.get("condition") not in ("service_started", "service_healthy", "service_completed_successfully"):
                fail(f"compose {name}: depends_on {dep} without a condition")
            elif how["condition"] == "service_healthy" and not services[dep].get("healthcheck"):
                fail(f"compose {name}: waits for {dep} to be healthy, which has no healthcheck")
    if services.get("sqlserver", {}).get("image", "").split(":")[0] != "mcr.microsoft.com/mssql/server" or "2022" not in services.get("sqlserver", {}).get("image", ""):
        fail("compose sqlserver: not SQL Server 2022")

    # Loa's processes: the settings the production checks need, from the env file.
    for name in ("api-1", "api-2", "dispatcher-1", "dispatcher-2", "dispatcher-3"):
        s = services.get(name, {})
        env = s.get("environment", {})
        api = name.startswith("api")
        check_loa_env(f"compose {name}", env, api)
        target = s.get("build", {}).get("target")
        if target != ("api" if api else "dispatcher"):
            fail(f"compose {name}: builds target {target}")
        if api and s.get("healthcheck", {}).get("test", [])[-1:] != ["http://127.0.0.1:8080/readyz"]:
            fail(f"compose {name}: the healthcheck should read /readyz")
        if not api and not env.get("Loa__Telemetry__PrometheusListenUrl"):
            fail(f"compose {name}: no Loa__Telemetry__PrometheusListenUrl: Prometheus cannot scrape it")
        if api and not env.get("Loa__Jwt__Audience"):
            fail(f"compose {name}: no Loa__Jwt__Audience: nobody can sign in outside Development")

    # The env file: every variable named, none with a development value.
    example = os.path.join(compose_dir, ".env.example")
    defined = {}
    for line in read(example).splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            defined[key.strip()] = value.strip()
            if value.strip().lower().startswith(DEV_PREFIXES):
                fail(f"compose .env.example: {key} has a development value")
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", read(os.path.join(compose_dir, "docker-compose.yml"))))
    for v in sorted(used - defined.keys()):
        fail(f"compose: ${{{v}}} is used but not in .env.example")
    secret_like = [k for k in defined if re.search(r"PASSWORD|SECRET|CREDENTIAL|COOKIE|SIGNING_KEY", k)]
    for k in secret_like:
        if defined[k]:
            fail(f"compose .env.example: {k} holds a value; secrets stay empty in the example")

    # RabbitMQ: three nodes in one cluster by classic config, one cookie.
    conf = read(os.path.join(compose_dir, "rabbitmq", "rabbitmq.conf"))
    if "cluster_formation.peer_discovery_backend = classic_config" not in conf:
        fail("compose rabbitmq.conf: peer discovery is not classic_config")
    peers = set(re.findall(r"cluster_formation\.classic_config\.nodes\.\d+\s*=\s*(\S+)", conf))
    nodes = {services[n]["environment"].get("RABBITMQ_NODENAME") for n in ("rabbitmq-1", "rabbitmq-2", "rabbitmq-3") if n in services}
    if peers != nodes or len(nodes) != 3:
        fail(f"compose rabbitmq: rabbitmq.conf peers {sorted(peers)} are not the nodes {sorted(n for n in nodes if n)}")
    for n in ("rabbitmq-1", "rabbitmq-2", "rabbitmq-3"):
        s = services.get(n, {})
        if s.get("hostname") != n or "LOA_RABBITMQ_ERLANG_COOKIE" not in s.get("environment", {}):
            fail(f"compose {n}: needs hostname {n} and the shared cookie")
        if not any(dst == "/var/lib/rabbitmq" for _, dst in mounts(s)):
            fail(f"compose {n}: no data volume")
    amqp = read(os.path.join(compose_dir, "nginx", "amqp.conf"))
    for n in ("rabbitmq-1", "rabbitmq-2", "rabbitmq-3"):
        if f"server {n}:5672" not in amqp:
            fail(f"compose nginx/amqp.conf: {n} is not an AMQP upstream")
    api_conf = read(os.path.join(compose_dir, "nginx", "api.conf"))
    for n in ("api-1", "api-2"):
        if f"server {n}:8080" not in api_conf:
            fail(f"compose nginx/api.conf: {n} is not an upstream")
    if "location = /readyz" not in api_conf:
        fail("compose nginx/api.conf: no /readyz location")

    # Prometheus scrapes what runs, under the job names the rules select.
    prom = yaml.safe_load(read(os.path.join(compose_dir, "prometheus.yml")))
    jobs = {j["job_name"]: [t for sc in j.get("static_configs", []) for t in sc.get("targets", [])] for j in prom["scrape_configs"]}
    if sorted(jobs.get("loa-api", [])) != ["api-1:8080", "api-2:8080"]:
        fail(f"compose prometheus.yml: loa-api targets {jobs.get('loa-api')}")
    port = re.search(r":(\d+)/", services.get("dispatcher-1", {}).get("environment", {}).get("Loa__Telemetry__PrometheusListenUrl", "") or "")
    want = sorted(f"dispatcher-{i}:{port.group(1) if port else '?'}" for i in (1, 2, 3))
    if sorted(jobs.get("loa-dispatcher", [])) != want:
        fail(f"compose prometheus.yml: loa-dispatcher targets {jobs.get('loa-dispatcher')}, expected {want}")
    if prom.get("rule_files") != ["loa-alerts.yml"]:
        fail("compose prometheus.yml: does not load loa-alerts.yml")
    if (os.path.join(HERE, "prometheus", "loa-alerts.yml"), "/etc/prometheus/loa-alerts.yml") not in mounts(services.get("prometheus", {})):
        fail("compose prometheus: deploy/prometheus/loa-alerts.yml is not mounted beside the config")

    # Grafana: the provider's folder is where the dashboard is mounted.
    provider = yaml.safe_load(read(os.path.join(compose_dir, "grafana", "provisioning", "dashboards", "loa.yml")))
    path = provider["providers"][0]["options"]["path"]
    if not any(src == os.path.join(HERE, "grafana", "loa-dashboard.json") and dst.startswith(path + "/") for src, dst in mounts(services.get("grafana", {}))):
        fail(f"compose grafana: deploy/grafana/loa-dashboard.json is not mounted under {path}")
    ds = yaml.safe_load(read(os.path.join(compose_dir, "grafana", "provisioning", "datasources", "prometheus.yml")))
    if not any(d.get("type") == "prometheus" and d.get("isDefault") for d in ds["datasources"]):
        fail("compose grafana: no default Prometheus data source (the dashboard's DS_PROMETHEUS picks the default)")

    # The collector: pipelines use only what is defined, and Loa's endpoint is its OTLP receiver.
    otel = yaml.safe_load(read(os.path.join(compose_dir, "otel-collector.yaml")))
    for pname, p in otel["service"]["pipelines"].items():
        for kind in ("receivers", "processors", "exporters"):
            for component in p.get(kind, []):
                if component not in (otel.get(kind) or {}):
                    fail(f"compose otel-collector.yaml: pipeline {pname} uses undefined {kind[:-1]} {component}")
    for ext in otel["service"].get("extensions", []):
        if ext not in (otel.get("extensions") or {}):
            fail(f"compose otel-collector.yaml: undefined extension {ext}")
    endpoint = services.get("api-1", {}).get("environment", {}).get("Loa__Telemetry__OtlpEndpoint", "")
    grpc = otel["receivers"]["otlp"]["protocols"].get("grpc", {}).get("endpoint", "")
    if not endpoint.startswith("http://otel-collector:") or endpoint.rsplit(":", 1)[-1] != grpc.rsplit(":", 1)[-1]:
        fail(f"compose: Loa's OTLP endpoint {endpoint} is not the collector's gRPC receiver {grpc}")

    # The image: SDK 10 build, ASP.NET 10 runtime, one target per process.
    dockerfile = read(os.path.join(compose_dir, "Dockerfile"))
    stages = dict((m.group(2), m.group(1)) for m in re.finditer(r"^FROM\s+(\S+)\s+AS\s+(\S+)", dockerfile, re.M | re.I))
    if not stages.get("build", "").startswith("mcr.microsoft.com/dotnet/sdk:10.0"):
        fail("compose Dockerfile: the build stage is not dotnet/sdk:10.0")
    if not stages.get("runtime", "").startswith("mcr.microsoft.com/dotnet/aspnet:10.0"):
        fail("compose Dockerfile: the runtime stage is not dotnet/aspnet:10.0")
    for target, project in (("api", "src/CampaignApi/Loa.CampaignApi.csproj"), ("dispatcher", "src/Dispatcher/Loa.Dispatcher.csproj")):
        if target not in stages:
            fail(f"compose Dockerfile: no stage {target}")
        if project not in dockerfile or not os.path.exists(os.path.join(ROOT, project)):
            fail(f"compose Dockerfile: does not publish {project}")
    # perf runs its standalone dispatcher with the image's runtime variables (LoaRun.ImageRuntime): they must agree.
    loarun = read(os.path.join(ROOT, "perf", "Loa.Perf", "LoaRun.cs"))
    block = re.search(r"ImageRuntime\s*=\s*new[^{]*\{(.*?)\};", loarun, re.S)
    runtime_env = re.findall(r'\["(\w+)"\]\s*=\s*"([^"]*)"', block.group(1)) if block else []
    if not runtime_env:
        fail("perf/Loa.Perf/LoaRun.cs: no ImageRuntime variables found")
    for key, value in runtime_env:
        if not re.search(rf"^\s*(ENV\s+)?{key}={re.escape(value)}\b", dockerfile, re.M):
            fail(f"compose Dockerfile: the runtime stage does not set {key}={value}, which perf's dispatcher runs with")
    for copied in re.findall(r"^COPY\s+(?!--)(\S+)\s", dockerfile, re.M):
        if not os.path.exists(os.path.join(ROOT, copied)):
            fail(f"compose Dockerfile: copies {copied}, which is not in the repository")

    if not errors:
        print(f"ok   compose: {len(services)} services resolve with .env.example; restart policies, healthchecks, "
              f"depends_on conditions, Loa's required settings, RabbitMQ cluster peers, proxy upstreams, "
              f"Prometheus targets, Grafana provisioning, collector pipelines and Dockerfile stages agree")


# ---------------------------------------------------------------------------------------------
KINDS = {
    ("v1", "Namespace"): False, ("v1", "ConfigMap"): True, ("v1", "Secret"): True, ("v1", "Service"): True,
    ("v1", "PersistentVolumeClaim"): True, ("apps/v1", "Deployment"): True, ("policy/v1", "PodDisruptionBudget"): True,
    ("autoscaling/v2", "HorizontalPodAutoscaler"): True, ("monitoring.coreos.com/v1", "ServiceMonitor"): True,
}


def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def k8s(paths):
    docs = []
    for p in paths:
        for d in yaml.safe_load_all(read(p)):
            if d is None:
                continue
            if d.get("kind") == "Kustomization":
                continue
            docs.append((os.path.basename(p), d))
    seen = set()
    by_kind = {}
    for where, d in docs:
        api, kind, meta = d.get("apiVersion"), d.get("kind"), d.get("metadata") or {}
        name = meta.get("name")
        if not api or not kind or not name:
            fail(f"k8s {where}: a document without apiVersion, kind or metadata.name")
            continue
        if (api, kind) not in KINDS:
            fail(f"k8s {where}: unexpected {api} {kind} (a typo, or add it to the checker)")
            continue
        if KINDS[(api, kind)] and meta.get("namespace") != "loa":
            fail(f"k8s {where} {kind}/{name}: not in namespace loa")
        if not re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", name):
            fail(f"k8s {where} {kind}/{name}: not a valid object name")
        key = (kind, meta.get("namespace"), name)
        if key in seen:
            fail(f"k8s {where}: {kind}/{name} defined twice")
        seen.add(key)
        by_kind.setdefault(kind, {})[name] = d
    for kind in ("Namespace", "ConfigMap", "Secret", "Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler", "ServiceMonitor"):
        if kind not in by_kind:
            fail(f"k8s: no {kind}")
    configmaps, secrets = by_kind.get("ConfigMap", {}), by_kind.get("Secret", {})
    claims = by_kind.get("PersistentVolumeClaim", {})
    deployments = by_kind.get("Deployment", {})

    for name, s in secrets.items():
        for k, v in {**(s.get("stringData") or {}), **(s.get("data") or {})}.items():
            if str(v).strip().lower().startswith(DEV_PREFIXES):
                fail(f"k8s Secret/{name}: {k} has a development value")
            if s.get("stringData") and str(v).strip():
                fail(f"k8s Secret/{name}: {k} holds a value; the template keeps secrets empty")

    def container_env(dep, c):
        env = {}
        for source in c.get("envFrom", []):
            if "configMapRef" in source:
                ref = source["configMapRef"]["name"]
                if ref not in configmaps:
                    fail(f"k8s Deployment/{dep}: envFrom ConfigMap {ref} does not exist")
                env.update(configmaps.get(ref, {}).get("data") or {})
            if "secretRef" in source:
                ref = source["secretRef"]["name"]
                if ref not in secrets:
                    fail(f"k8s Deployment/{dep}: envFrom Secret {ref} does not exist")
                env.update((secrets.get(ref, {}).get("stringData") or {}) | (secrets.get(ref, {}).get("data") or {}))
        for e in c.get("env", []):
            env[e["name"]] = e.get("value", "")
        return env

    def probe_port(c, probe):
        port = (probe.get("httpGet") or probe.get("tcpSocket") or {}).get("port")
        ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
        return ports.get(port, port if isinstance(port, int) else None)

    for name, d in deployments.items():
        spec = d["spec"]
        template_labels = spec["template"]["metadata"].get("labels", {})
        if not matches(spec["selector"].get("matchLabels"), template_labels):
            fail(f"k8s Deployment/{name}: the selector does not match the pod labels")
        pod = spec["template"]["spec"]
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for v in volumes.values():
            claim = (v.get("persistentVolumeClaim") or {}).get("claimName")
            if claim and claim not in claims:
                fail(f"k8s Deployment/{name}: volume claim {claim} does not exist")
        for c in pod["containers"]:
            where = f"k8s Deployment/{name} container {c['name']}"
            if not c.get("image"):
                fail(f"{where}: no image")
            res = c.get("resources", {})
            for part in ("requests", "limits"):
                if not res.get(part, {}).get("cpu") or not res.get(part, {}).get("memory"):
                    fail(f"{where}: no cpu/memory {part}")
            for probe in ("readinessProbe", "livenessProbe"):
                if probe not in c:
                    fail(f"{where}: no {probe}")
                elif probe_port(c, c[probe]) is None:
                    fail(f"{where}: {probe} names a port the container does not have")
            for m in c.get("volumeMounts", []):
                if m["name"] not in volumes:
                    fail(f"{where}: mounts unknown volume {m['name']}")
            env = container_env(name, c)
            api = c["name"] == "api"
            check_loa_env(where, env, api)
            if api:
                if c.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/readyz":
                    fail(f"{where}: readiness is not /readyz")
                if c.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/healthz":
                    fail(f"{where}: liveness is not /healthz")
                if env.get("Loa__Audit__Anchor__Directory") and not any(m["mountPath"] == env["Loa__Audit__Anchor__Directory"] for m in c.get("volumeMounts", [])):
                    fail(f"{where}: the audit anchor directory is not a mounted volume")
            else:
                listen = env.get("Loa__Telemetry__PrometheusListenUrl", "")
                m = re.match(r"http://[^/:]+:(\d+)(/\S*)", listen)
                if not m:
                    fail(f"{where}: no Loa__Telemetry__PrometheusListenUrl: nothing to probe or scrape")
                else:
                    ready = c.get("readinessProbe", {}).get("httpGet", {})
                    if probe_port(c, c.get("readinessProbe", {})) != int(m.group(1)) or ready.get("path") != m.group(2):
                        fail(f"{where}: readiness does not read the Prometheus listener {listen}")

    services = by_kind.get("Service", {})
    for name, s in services.items():
        targets = [d for d in deployments.values() if matches(s["spec"].get("selector"), d["spec"]["template"]["metadata"].get("labels", {}))]
        if not targets:
            fail(f"k8s Service/{name}: selects no Deployment")
        for p in s["spec"].get("ports", []):
            tp = p.get("targetPort", p["port"])
            if targets and isinstance(tp, str) and not any(tp == cp.get("name") for d in targets for c in d["spec"]["template"]["spec"]["containers"] for cp in c.get("ports", [])):
                fail(f"k8s Service/{name}: targetPort {tp} is no container port")
    if set(services) < {"loa-api", "loa-dispatcher"}:
        fail("k8s: the Services must be named loa-api and loa-dispatcher (the alert rules select those job names)")

    for name, p in by_kind.get("PodDisruptionBudget", {}).items():
        targets = [d for d in deployments.values() if matches(p["spec"]["selector"].get("matchLabels"), d["spec"]["template"]["metadata"].get("labels", {}))]
        if len(targets) != 1:
            fail(f"k8s PodDisruptionBudget/{name}: selects {len(targets)} Deployments")
        elif isinstance(p["spec"].get("minAvailable"), int) and p["spec"]["minAvailable"] >= targets[0]["spec"].get("replicas", 1):
            fail(f"k8s PodDisruptionBudget/{name}: minAvailable {p['spec']['minAvailable']} leaves no pod to evict")

    exported = set(re.findall(r'"(loa_[a-z_]+)"', read(os.path.join(ROOT, "src", "Dispatcher", "Telemetry", "BacklogMetrics.cs"))))
    for name, h in by_kind.get("HorizontalPodAutoscaler", {}).items():
        ref = h["spec"]["scaleTargetRef"]
        if ref.get("kind") != "Deployment" or ref.get("name") not in deployments:
            fail(f"k8s HorizontalPodAutoscaler/{name}: scales {ref.get('kind')}/{ref.get('name')}, which does not exist")
        if not 1 <= h["spec"].get("minReplicas", 1) <= h["spec"]["maxReplicas"]:
            fail(f"k8s HorizontalPodAutoscaler/{name}: minReplicas/maxReplicas out of order")
        for m in h["spec"].get("metrics", []):
            metric = (m.get(m["type"].lower()) or {}).get("metric", {}).get("name")
            if m["type"] in ("External", "Pods") and metric not in exported:
                fail(f"k8s HorizontalPodAutoscaler/{name}: metric {metric} is not one BacklogMetrics.cs exports ({', '.join(sorted(exported))})")
            if metric == "loa_backlog_deliveries" and m["type"] != "External":
                fail(f"k8s HorizontalPodAutoscaler/{name}: loa_backlog_deliveries is database-wide; a Pods metric would never fall as pods are added")

    for name, sm in by_kind.get("ServiceMonitor", {}).items():
        selected = [s for s in services.values() if matches(sm["spec"]["selector"].get("matchLabels"), s["metadata"].get("labels", {}))]
        names = {s["metadata"]["name"] for s in selected}
        if not {"loa-api", "loa-dispatcher"} <= names:
            fail(f"k8s ServiceMonitor/{name}: selects {sorted(names)}, not both loa-api and loa-dispatcher")
        ports = {p.get("name") for s in selected for p in s["spec"].get("ports", [])}
        for e in sm["spec"].get("endpoints", []):
            if e.get("port") not in ports:
                fail(f"k8s ServiceMonitor/{name}: endpoint port {e.get('port')} is on no selected Service")
            if e.get("path") != "/metrics":
                fail(f"k8s ServiceMonitor/{name}: endpoint path {e.get('path')}")

    if not errors:
        kinds = ", ".join(f"{len(v)} {k}" for k, v in sorted(by_kind.items()))
        print(f"ok   k8s: {len(docs)} objects ({kinds}); names, namespaces, selectors, probes, ports, "
              f"envFrom references, Loa's required settings, PDBs, the HPA's backlog metric and the ServiceMonitor agree")


if __name__ == "__main__":
    what, files = sys.argv[1], sys.argv[2:]
    try:
        (compose if what == "compose" else k8s)(*([files[0]] if what == "compose" else [files]))
    except (KeyError, TypeError, AttributeError, IndexError, yaml.YAMLError) as e:
        fail(f"{what}: a file does not have the expected shape: {e!r}")
    for e in errors:
        print("FAIL " + e, file=sys.stderr)
    sys.exit(1 if errors else 0)
