#!/usr/bin/env bash
# Validates the monitoring files in deploy/ (dashboard, alert rules, Prometheus config).
#
#   deploy/check.sh                  validate; exit 1 on any error
#   deploy/check.sh --names          print every loa_* metric the dashboard and rules read, one per
#                                    line (histogram _bucket/_sum/_count stripped), and exit
#   deploy/check.sh --against FILE   also fail if one of those names is missing from FILE, a
#                                    Prometheus text exposition (curl -s http://127.0.0.1:5080/metrics > FILE);
#                                    FILE may be an http(s) URL, fetched with curl
#
# Always (python3): the dashboard is JSON with the expected shape, every query reads only Loa's
# series, the rules file parses (with PyYAML when installed). With promtool on PATH (Debian:
# apt-get install prometheus) also: promtool check rules / check config / test rules, and every
# dashboard query parsed by promtool (Grafana variables substituted). LOA_CHECK_REQUIRE_PROMTOOL=1
# turns a missing promtool into an error instead of a skip.
#
# Deploy files (check_topology.py, needs PyYAML): deploy/compose is resolved with
# `docker-compose config` against .env.example and checked (services, healthchecks, depends_on,
# the settings Loa's production checks require, cluster peers, proxy upstreams, Prometheus targets,
# Grafana provisioning, collector pipelines, Dockerfile stages); its prometheus.yml goes through
# promtool. deploy/k8s is rendered with `kubectl kustomize` (offline) when kubectl is installed and
# every object is checked (kinds, names, selectors, probes, ports, references, required settings,
# PDBs, HPA metric, ServiceMonitor); `kubectl apply --dry-run=client` runs as well only when an API
# server answers (client dry-run still needs one for discovery). Missing docker-compose or PyYAML
# prints SKIP; LOA_CHECK_REQUIRE_COMPOSE=1 makes it an error (the test suite sets it).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dashboard="$here/grafana/loa-dashboard.json"
rules="$here/prometheus/loa-alerts.yml"
config="$here/prometheus/prometheus.yml"
tests="$here/prometheus/loa-alerts.test.yml"

mode=check
against=""
case "${1:-}" in
  --names) mode=names ;;
  --against) against="${2:?--against needs a file or URL}" ;;
  "") ;;
  *) echo "usage: $0 [--names | --against FILE|URL]" >&2; exit 2 ;;
esac

command -v python3 >/dev/null || { echo "FAIL python3 is needed to check deploy/" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if [[ -n "$against" && "$against" =~ ^https?:// ]]; then
  curl -fsS "$against" -o "$tmp/metrics.txt" || { echo "FAIL could not fetch $against" >&2; exit 1; }
  against="$tmp/metrics.txt"
fi

# The python part checks the files, prints the referenced names (--names), compares them with an
# exposition (--against), and writes the dashboard's queries as a rules file for promtool.
python3 - "$mode" "$dashboard" "$rules" "$tmp/dashboard-queries.yml" "$against" <<'PY'
import json, re, sys

mode, dashboard_path, rules_path, queries_out, against = sys.argv[1:6]
errors = []

# The series Loa exports (issue #6): anything else in a dashboard query is a mistake.
LOA_SERIES = {
    "loa_deliveries_total", "loa_submit_duration_seconds", "loa_receipt_latency_seconds",
    "loa_lane_rate_parts_per_second", "loa_lane_limit_parts_per_second",
    "loa_lane_contracted_parts_per_second", "loa_backlog_deliveries", "loa_backlog_oldest_seconds",
    "loa_planner_recipients_total", "loa_campaigns_failed_recent", "loa_sent_parts_total",
    "loa_lane_leased", "loa_lane_takeovers_total",
}
HISTOGRAMS = {"loa_submit_duration_seconds", "loa_receipt_latency_seconds"}
# Not preceded or followed by ':' so that recording rules (carrier:loa_x:rate5m) are not read as series.
NAME = re.compile(r"(?<![\w:])loa_[A-Za-z0-9_]+(?![\w:])")
SELECTOR = re.compile(r"(?<![\w:\"])([A-Za-z_:][\w:]*)\s*[{\[]")

def base(name):
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name[: -len(suffix)] in HISTOGRAMS:
            return name[: -len(suffix)]
    return name

def strip_strings(expr):
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)

def check_names(where, expr, allow=()):
    found = set()
    for n in NAME.findall(strip_strings(expr)):
        if base(n) not in LOA_SERIES:
            errors.append(f"{where}: unknown Loa series {n}")
        found.add(base(n))
    for n in SELECTOR.findall(strip_strings(expr)):
        if base(n) not in LOA_SERIES and n not in allow and ":" not in n:
            errors.append(f"{where}: series {n} is not one Loa exports")
    return found

# ---- dashboard
names = set()
exprs = []
try:
    dash = json.load(open(dashboard_path, encoding="utf-8"))
except Exception as e:
    print(f"FAIL {dashboard_path}: not valid JSON: {e}", file=sys.stderr)
    sys.exit(1)
if dash.get("schemaVersion", 0) < 39:
    errors.append("dashboard: schemaVersion must be >= 39")
variables = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
if variables.get("DS_PROMETHEUS", {}).get("type") != "datasource":
    errors.append("dashboard: no datasource variable DS_PROMETHEUS")
for v in ("carrier", "kind"):
    if v not in variables:
        errors.append(f"dashboard: no {v} variable")
ids, rows = set(), []
def walk(panels):
    for p in panels:
        yield p
        yield from walk(p.get("panels", []))
for p in walk(dash.get("panels", [])):
    title = p.get("title", "?")
    if p.get("id") in ids:
        errors.append(f"dashboard: panel id {p.get('id')} used twice")
    ids.add(p.get("id"))
    if p.get("type") == "row":
        rows.append(title)
        continue
    if p.get("datasource", {}).get("uid") != "${DS_PROMETHEUS}":
        errors.append(f"dashboard panel '{title}': datasource is not ${{DS_PROMETHEUS}}")
    if not p.get("targets"):
        errors.append(f"dashboard panel '{title}': no query")
    for t in p.get("targets", []):
        expr = t.get("expr", "")
        if not expr.strip():
            errors.append(f"dashboard panel '{title}' {t.get('refId')}: empty query")
        if t.get("datasource", {}).get("uid") != "${DS_PROMETHEUS}":
            errors.append(f"dashboard panel '{title}' {t.get('refId')}: datasource is not ${{DS_PROMETHEUS}}")
        names |= check_names(f"dashboard panel '{title}' {t.get('refId')}", expr)
        exprs.append((title, t.get("refId"), expr))
for r in ("Overview", "Lanes", "Backlog", "Latency", "Planner"):
    if r not in rows:
        errors.append(f"dashboard: no row '{r}'")
for v in variables.values():
    q = v.get("query")
    q = q.get("query", "") if isinstance(q, dict) else (q or "")
    if v.get("type") == "query":
        names |= check_names(f"dashboard variable {v.get('name')}", re.sub(r"label_values\(([^,]+),.*", r"\1{}", q))

# ---- rules: names from every non-comment line (no YAML parser needed), structure with PyYAML if present
rule_text = open(rules_path, encoding="utf-8").read()
code = "\n".join(line for line in rule_text.splitlines() if not line.lstrip().startswith("#"))
rule_names = {base(n) for n in NAME.findall(code)}
for n in sorted(rule_names - LOA_SERIES):
    errors.append(f"rules: unknown Loa series {n}")
names |= rule_names
try:
    import yaml
except ImportError:
    yaml = None
    if mode == "check":
        print("SKIP rules structure: PyYAML not installed (promtool, if present, still checks it)")
if yaml is not None:
    try:
        doc = yaml.safe_load(rule_text)
        for g in doc["groups"]:
            for r in g["rules"]:
                if "alert" in r:
                    a = r["alert"]
                    if "for" not in r:
                        errors.append(f"rules {a}: no 'for'")
                    if r.get("labels", {}).get("severity") not in ("critical", "warning", "info"):
                        errors.append(f"rules {a}: severity label missing or unknown")
                    for k in ("summary", "description"):
                        if not r.get("annotations", {}).get(k):
                            errors.append(f"rules {a}: annotation {k} missing")
                    if "carrier" in r["expr"] and "$labels.carrier" not in r["annotations"].get("summary", "") + r["annotations"].get("description", ""):
                        errors.append(f"rules {a}: per-carrier alert without {{{{ $labels.carrier }}}} in its text")
                    check_names(f"rules {a}", r["expr"], allow=("up",))
                elif "record" in r:
                    check_names(f"rules {r['record']}", r["expr"])
                else:
                    errors.append(f"rules: a rule with neither alert nor record in group {g.get('name')}")
    except Exception as e:
        errors.append(f"rules: {rules_path} does not parse: {e}")

if mode == "names":
    print("\n".join(sorted(names)))
    sys.exit(1 if errors else 0)

# ---- dashboard queries as recording rules, for promtool to parse (variables given plausible values)
def substitute(expr):
    expr = expr.replace("$__rate_interval", "1m").replace("$__range", "3h").replace("$__interval", "1m")
    return re.sub(r"\$\{?(carrier|kind)\}?", ".*", expr)
with open(queries_out, "w", encoding="utf-8") as f:
    f.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, (title, ref, expr) in enumerate(exprs):
        f.write(f"      - record: dashboard_query_{i}\n        expr: {json.dumps(substitute(expr))}\n")

if against:
    exposed = set()
    for line in open(against, encoding="utf-8"):
        if line.strip() and not line.startswith("#"):
            exposed.add(base(re.split(r"[{\s]", line.strip(), maxsplit=1)[0]))
    for n in sorted(names - exposed):
        errors.append(f"/metrics ({against}): no series {n}")

for e in errors:
    print("FAIL " + e, file=sys.stderr)
if errors:
    sys.exit(1)
print(f"ok   dashboard: {len(exprs)} queries, rows and variables in place; only Loa series referenced")
print(f"ok   referenced Loa series: {', '.join(sorted(names))}")
if against:
    print(f"ok   every referenced series is in {against}")
PY
status=$?
[[ "$mode" == names ]] && exit $status
failed=$status

if command -v promtool >/dev/null; then
  run() {
    local what="$1"; shift
    if out="$("$@" 2>&1)"; then echo "ok   $what"; else echo "FAIL $what" >&2; echo "$out" >&2; failed=1; fi
  }
  run "promtool check rules loa-alerts.yml" promtool check rules "$rules"
  run "promtool check config prometheus.yml" promtool check config "$config"
  # test rules resolves rule_files relative to the test file.
  run "promtool test rules loa-alerts.test.yml" promtool test rules "$tests"
  if [[ -f "$tmp/dashboard-queries.yml" ]]; then
    run "promtool parses every dashboard query" promtool check rules "$tmp/dashboard-queries.yml"
  fi
elif [[ "${LOA_CHECK_REQUIRE_PROMTOOL:-0}" == 1 ]]; then
  echo "FAIL promtool not found (LOA_CHECK_REQUIRE_PROMTOOL=1)" >&2
  failed=1
else
  echo "SKIP promtool not found: rules, config, rule unit tests and PromQL syntax not checked (apt-get install prometheus)"
fi

# ---- deploy/compose and deploy/k8s
require="${LOA_CHECK_REQUIRE_COMPOSE:-0}"
missing() {  # a tool is absent: SKIP, or FAIL when LOA_CHECK_REQUIRE_COMPOSE=1
  if [[ "$require" == 1 ]]; then echo "FAIL $1 not installed (LOA_CHECK_REQUIRE_COMPOSE=1)" >&2; failed=1
  else echo "SKIP $1 not installed: $2"; fi
}
compose_file="$here/compose/docker-compose.yml"
env_example="$here/compose/.env.example"
if ! python3 -c 'import yaml' 2>/dev/null; then
  missing "PyYAML (python3 -m pip install pyyaml, or apt-get install python3-yaml)" "compose and k8s files not checked"
else
  if command -v docker-compose >/dev/null; then
    if out="$(docker-compose -f "$compose_file" --env-file "$env_example" config -q 2>&1)" \
       && docker-compose -f "$compose_file" --env-file "$env_example" config >"$tmp/compose.yml" 2>"$tmp/compose.err"; then
      if grep -qi "is not set\|warning" "$tmp/compose.err"; then
        echo "FAIL docker-compose config warns with .env.example:" >&2; cat "$tmp/compose.err" >&2; failed=1
      else
        echo "ok   compose: docker-compose config -q with .env.example ($(docker-compose version --short 2>/dev/null || echo '?'))"
        python3 "$here/check_topology.py" compose "$tmp/compose.yml" || failed=1
      fi
    else
      echo "FAIL docker-compose config (deploy/compose/docker-compose.yml with .env.example):" >&2
      echo "$out" >&2; cat "$tmp/compose.err" >&2 2>/dev/null; failed=1
    fi
  else
    missing "docker-compose (apt-get install docker-compose)" "deploy/compose not checked"
  fi
  if command -v promtool >/dev/null; then
    # The compose Prometheus loads loa-alerts.yml from beside its config, as mounted there.
    mkdir -p "$tmp/prom-compose"
    cp "$here/compose/prometheus.yml" "$rules" "$tmp/prom-compose/"
    if out="$(promtool check config "$tmp/prom-compose/prometheus.yml" 2>&1)"; then echo "ok   promtool check config compose/prometheus.yml"
    else echo "FAIL promtool check config compose/prometheus.yml" >&2; echo "$out" >&2; failed=1; fi
  fi

  k8s_docs=()
  if command -v kubectl >/dev/null; then
    if out="$(kubectl kustomize "$here/k8s" 2>&1 >"$tmp/k8s.yml")"; then
      echo "ok   k8s: kubectl kustomize deploy/k8s renders ($(grep -c '^kind:' "$tmp/k8s.yml") objects)"
      k8s_docs=("$tmp/k8s.yml")
    else
      echo "FAIL kubectl kustomize deploy/k8s" >&2; echo "$out" >&2; failed=1
    fi
    if kubectl apply --dry-run=client --validate=false --request-timeout=5s -k "$here/k8s" >"$tmp/k8s-dry-run.txt" 2>&1; then
      echo "ok   k8s: kubectl apply --dry-run=client -k deploy/k8s"
    else
      echo "SKIP k8s: kubectl apply --dry-run=client needs an API server for discovery and none answers ($(tail -n 1 "$tmp/k8s-dry-run.txt" | cut -c1-120))"
    fi
  else
    echo "SKIP k8s: kubectl not installed: objects checked from the files, not rendered by kustomize"
  fi
  if ((${#k8s_docs[@]} == 0)); then
    k8s_docs=("$here"/k8s/[0-9]*.yaml)
  fi
  python3 "$here/check_topology.py" k8s "${k8s_docs[@]}" || failed=1
fi

exit $failed
