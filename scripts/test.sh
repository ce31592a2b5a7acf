#!/usr/bin/env bash
# Loa's single test command: bash scripts/test.sh [extra dotnet test args, e.g. --filter X]
#
#  1. installs what the tests need from Debian when it is missing (rabbitmq-server, chromium,
#     docker-compose, prometheus for promtool);
#  2. starts a private RabbitMQ on loopback (scripts/rabbitmq.sh) and exports its address as
#     LOA_TEST_RABBITMQ=amqp://guest:guest@127.0.0.1:PORT/ ; and a private three-node cluster
#     (scripts/rabbitmq-cluster.sh) for the cluster specs: LOA_TEST_RABBITMQ_CLUSTER (one amqp URI
#     naming the three nodes) and LOA_TEST_RABBITMQ_CLUSTER_CTL (the command that kills, stops and
#     starts its nodes);
#  3. builds Loa.slnx and runs every test project (the end-to-end specs beside the others),
#     writing one TRX file per project;
#  4. stops the brokers whatever happens, and prints as its very last line
#        N passed, N failed[, N skipped]
#     counted over all TRX files. Exit code 0 only if nothing failed and at least one test ran.
#
# Knobs (environment): LOA_TEST_CONFIGURATION (default Release; a different configuration from
# the IDE's Debug, so a run never fights an editor's build over bin/obj), LOA_TEST_RESULTS_DIR
# (default artifacts/test-results/<run>), LOA_TEST_BROKER_TIMEOUT (seconds, default 90).
# shellcheck disable=SC2317  # functions below run from the EXIT trap; shellcheck cannot see it
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT=$(pwd)
# shellcheck source=scripts/rabbitmq.sh
source "$REPO_ROOT/scripts/rabbitmq.sh"
# shellcheck source=scripts/rabbitmq-cluster.sh
source "$REPO_ROOT/scripts/rabbitmq-cluster.sh"

CONFIGURATION=${LOA_TEST_CONFIGURATION:-Release}
# A fresh directory per run: stale TRX files from an earlier run must never be counted, and two
# runs at once (several people share a checkout) must not count each other's results.
RESULTS_DIR=${LOA_TEST_RESULTS_DIR:-$REPO_ROOT/artifacts/test-results/$(date +%Y%m%d-%H%M%S)-$$}
BROKER_TIMEOUT=${LOA_TEST_BROKER_TIMEOUT:-90}
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

say() { echo "[test.sh] $*" >&2; }

# ---------------------------------------------------------------------------------------------
# Result counting and the closing line. Everything ends in finish() (EXIT trap), so the summary
# is printed after the broker is stopped and really is the last line, on every path: success,
# failing tests, build error, broker that will not start, Ctrl-C.
# ---------------------------------------------------------------------------------------------
DOTNET_RC=""       # exit code of the test runs; empty if they never ran to completion
E2E_PID=""         # the end-to-end run in the background, while it runs
POLICY_RC_BACKUP="" # set while we have replaced /usr/sbin/policy-rc.d
POLICY_RC_CREATED=0

# Prints "passed failed skipped" summed over all TRX files under $1 (nothing if there are none).
# Counts the top-level UnitTestResult elements (one per test case, theories included);
# NotExecuted is xunit's "skipped"; Error/Timeout/Aborted/... count as failed.
count_trx() {
    local dir=$1
    compgen -G "$dir/*.trx" >/dev/null || return 0
    if command -v python3 >/dev/null 2>&1; then
        python3 - "$dir" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
passed = failed = skipped = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        failed += 1                       # a truncated TRX means the run was cut short
        continue
    results = root.find(ns + "Results")
    for r in (results.findall(ns + "UnitTestResult") if results is not None else []):
        outcome = r.get("outcome", "")
        if outcome == "Passed":
            passed += 1
        elif outcome == "NotExecuted":
            skipped += 1
        else:
            failed += 1
print(passed, failed, skipped)
PY
    else
        # Without python: one UnitTestResult element per test case, attributes on one line.
        local p f s
        p=$(cat "$dir"/*.trx | grep -o '<UnitTestResult [^>]*outcome="Passed"' | wc -l)
        s=$(cat "$dir"/*.trx | grep -o '<UnitTestResult [^>]*outcome="NotExecuted"' | wc -l)
        f=$(($(cat "$dir"/*.trx | grep -o '<UnitTestResult ' | wc -l) - p - s))
        echo "$p $f $s"
    fi
}

# Prints each failed test's name and the first lines of its message, so that the tail of a CI log
# (often all that is kept) names what failed instead of only counting it.
list_failed_trx() {
    local dir=$1
    compgen -G "$dir/*.trx" >/dev/null || return 0
    command -v python3 >/dev/null 2>&1 || return 0
    python3 - "$dir" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
for path in glob.glob(sys.argv[1] + "/*.trx"):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        print("  FAILED (truncated TRX) " + path)
        continue
    results = root.find(ns + "Results")
    for r in (results.findall(ns + "UnitTestResult") if results is not None else []):
        if r.get("outcome", "") in ("Passed", "NotExecuted"):
            continue
        print("  FAILED %s [%s, %s]" % (r.get("testName"), r.get("outcome"), r.get("duration")))
        msg = r.find(ns + "Output/" + ns + "ErrorInfo/" + ns + "Message")
        if msg is not None and msg.text:
            for line in msg.text.strip().splitlines()[:6]:
                print("    " + line[:300])
        trace = r.find(ns + "Output/" + ns + "ErrorInfo/" + ns + "StackTrace")
        if trace is not None and trace.text:
            for line in [l for l in trace.text.strip().splitlines() if "Loa." in l][:4]:
                print("    " + line.strip()[:300])
PY
}

restore_policy_rc() {
    if [[ -n $POLICY_RC_BACKUP ]]; then
        mv -f "$POLICY_RC_BACKUP" /usr/sbin/policy-rc.d
        POLICY_RC_BACKUP=""
    elif ((POLICY_RC_CREATED)); then
        rm -f /usr/sbin/policy-rc.d
        POLICY_RC_CREATED=0
    fi
}

finish() {
    local rc=$? passed=0 failed=0 skipped=0 counts
    set +e
    trap - EXIT INT TERM
    if [[ -n ${E2E_PID:-} ]]; then
        # Interrupted while the end-to-end specs ran: stop them (and their test host) before the brokers go.
        pkill -TERM -P "$E2E_PID" 2>/dev/null
        kill -TERM "$E2E_PID" 2>/dev/null
        wait "$E2E_PID" 2>/dev/null
    fi
    restore_policy_rc
    rmq_stop
    rmqc_stop
    [[ -n ${APT_LOG:-} ]] && rm -f "$APT_LOG"

    counts=$(count_trx "$RESULTS_DIR")
    [[ -n $counts ]] && read -r passed failed skipped <<<"$counts"
    # A non-zero `dotnet test` with no failed test in the TRX files (a project that did not
    # build, a crashed or hung test host, Ctrl-C) or a script that stopped before or during the
    # run (broker would not start, apt failed) is still a failure, and must show as one.
    if [[ $DOTNET_RC != 0 || $rc != 0 ]] && ((failed == 0)); then
        failed=1
    fi
    if [[ -z $counts ]]; then
        say "no TRX files were written (see above: build error, broker, apt or an interrupted run)"
    elif ((passed + failed + skipped == 0)); then
        say "no tests ran (TRX files in $RESULTS_DIR hold no test results)"
    else
        say "TRX files: $RESULTS_DIR"
    fi
    # The only skips allowed are the SQL Server cases (tests/Shared/DatabaseData.cs): say why once,
    # so that a reader of CI's log knows what the skipped count stands for.
    if ((skipped > 0)) && [[ -z ${LOA_SQLSERVER:-} ]]; then
        say "SQL Server specs skipped: LOA_SQLSERVER is not set (a connection string to an empty database runs them)"
    fi
    ((failed > 0)) && list_failed_trx "$RESULTS_DIR"
    local line="$passed passed, $failed failed"
    ((skipped > 0)) && line+=", $skipped skipped"
    echo "$line"
    if ((failed == 0 && passed + skipped > 0)); then exit 0; fi
    exit 1
}
trap finish EXIT
# Turn signals into a normal exit so finish() runs (and reports the interruption as a failure).
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
# 1. System packages, only when absent: a second run does no apt work at all.
# ---------------------------------------------------------------------------------------------
need=()
[[ -x $RMQ_BIN/rabbitmq-server ]] || need+=(rabbitmq-server)
[[ -x /usr/bin/chromium ]] || need+=(chromium)   # browser tests drive /usr/bin/chromium
command -v docker-compose >/dev/null || need+=(docker-compose)   # deploy/check.sh validates deploy/compose (DeploySpecs)
command -v promtool >/dev/null || need+=(prometheus)   # promtool: deploy/check.sh tests the alert rules and parses the dashboard's queries (MetricsSpecs)

if ((${#need[@]})); then
    SUDO=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null || { say "need root (or sudo) to install: ${need[*]}"; exit 1; }
        SUDO=(sudo -n)
    fi
    say "installing from Debian: ${need[*]} (log kept only on failure)"
    APT_LOG=$(mktemp "${TMPDIR:-/tmp}/loa-apt.XXXXXX")
    # Debian starts a package's service on install. We want no system-wide broker (it would sit
    # on 5672/4369 and outlive the run; without systemd it can also hang the install), so
    # services are refused through policy-rc.d (exit 101 = "action forbidden") for the install.
    # An existing policy that already says 101 (common in containers) is left alone; any other
    # is put back afterwards.
    if [[ -e /usr/sbin/policy-rc.d ]]; then
        if "${SUDO[@]}" /usr/sbin/policy-rc.d rabbitmq-server start >/dev/null 2>&1; then prc=0; else prc=$?; fi
        if ((prc != 101)); then
            POLICY_RC_BACKUP=/usr/sbin/policy-rc.d.loa-backup
            "${SUDO[@]}" cp -p /usr/sbin/policy-rc.d "$POLICY_RC_BACKUP"
            printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
        fi
    else
        POLICY_RC_CREATED=1
        printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
        "${SUDO[@]}" chmod 755 /usr/sbin/policy-rc.d
    fi
    # noninteractive + confold/confdef + no stdin: never stop at a prompt (CI has no stdin).
    # Lock timeout: wait for someone else's apt on the same machine instead of failing.
    apt_opts=(-q -y -o DPkg::Lock::Timeout=300
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
    # A failing update is not fatal by itself: one unreachable third-party source makes it exit
    # non-zero although Debian's own lists were fetched. The install says whether it mattered.
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update \
        </dev/null >"$APT_LOG" 2>&1 || say "apt-get update reported errors; trying the install anyway"
    if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install \
        --no-install-recommends "${need[@]}" </dev/null >>"$APT_LOG" 2>&1; then
        say "apt-get failed; last lines of its output:"
        tail -n 30 "$APT_LOG" >&2
        exit 1
    fi
    restore_policy_rc
    say "installed: ${need[*]}"
fi

# ---------------------------------------------------------------------------------------------
# 2. Private broker: launched now, so it boots while the solution builds.
# ---------------------------------------------------------------------------------------------
rmq_launch
say "RabbitMQ starting in the background on 127.0.0.1:$RMQ_PORT (node $RMQ_NODE)"
# The cluster boots (about 30 s here) beside the build too; it costs nothing while the build runs.
rmqc_launch
say "RabbitMQ cluster (three nodes) starting in the background"

# ---------------------------------------------------------------------------------------------
# 3. Build, then test. Building separately keeps the test output free of build noise and lets
#    the broker start in parallel. No TRX from a failed build => "0 passed, 1 failed".
# ---------------------------------------------------------------------------------------------
say "building Loa.slnx ($CONFIGURATION)"
dotnet build Loa.slnx -c "$CONFIGURATION" -nologo -v quiet

rmq_wait_ready "$BROKER_TIMEOUT"
say "LOA_TEST_RABBITMQ=$LOA_TEST_RABBITMQ"
rmqc_wait_ready $((BROKER_TIMEOUT + 30))
say "LOA_TEST_RABBITMQ_CLUSTER=$LOA_TEST_RABBITMQ_CLUSTER"

mkdir -p "$RESULTS_DIR"
say "running tests (TRX into $RESULTS_DIR)"
# The end-to-end specs (8 minutes here, mostly waiting on carriers' rates, brokers and clocks) run
# beside the other projects (5 minutes together, one after another), not after them: the suite ends
# when the longer of the two does. Each run writes TRX files of its own prefix (the logger names
# them by the second, so two runs finishing together must not share a name), and the end-to-end
# output goes to a log printed once both are done, so the two never interleave on the console.
# Every spec that shares the broker uses a queue prefix of its own.
# --blame-hang-timeout: a hung test kills its test host after 10 minutes and is reported,
# instead of eating the whole CI budget; dump type none, as a full dump is gigabytes.
run_tests() {
    local project=$1 prefix=$2
    shift 2
    dotnet test "$project" -c "$CONFIGURATION" --no-build --nologo \
        --logger "trx;LogFilePrefix=$prefix" --results-directory "$RESULTS_DIR" \
        --blame-hang-timeout 10m --blame-hang-dump-type none \
        "$@"
}
E2E_LOG="$RESULTS_DIR/endtoend.log"
set +e
run_tests tests/EndToEnd.Tests/Loa.EndToEnd.Tests.csproj loa-endtoend "$@" >"$E2E_LOG" 2>&1 &
E2E_PID=$!
say "EndToEnd.Tests running in the background (output: $E2E_LOG, printed when it ends)"
OTHERS_RC=0
for project in tests/*/*.Tests.csproj; do
    [[ $project == tests/EndToEnd.Tests/* ]] && continue
    name=$(basename "$project" .csproj)
    run_tests "$project" "${name,,}" "$@" || OTHERS_RC=$?
done
say "the other projects are done; waiting for EndToEnd.Tests"
wait "$E2E_PID"
E2E_RC=$?
E2E_PID=""
say "EndToEnd.Tests output:"
cat "$E2E_LOG" >&2
DOTNET_RC=$((OTHERS_RC != 0 ? OTHERS_RC : E2E_RC))
set -e
exit "$DOTNET_RC"   # finish() turns this into the summary line and the final exit code
