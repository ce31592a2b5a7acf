#!/usr/bin/env bash
# A private, throwaway three-node RabbitMQ cluster on loopback for Loa's cluster specs
# (tests/EndToEnd.Tests/Cluster), beside the single broker of scripts/rabbitmq.sh.
#
# Three ways to use it:
#   * sourced by scripts/test.sh, which calls rmqc_launch, rmqc_wait_ready and rmqc_stop;
#   * run directly, `bash scripts/rabbitmq-cluster.sh`: starts the cluster, prints the two
#     `export LOA_TEST_RABBITMQ_CLUSTER...` lines to paste and keeps it up until Ctrl-C;
#   * `<dir>/ctl <command> [node]` (what LOA_TEST_RABBITMQ_CLUSTER_CTL names), which the specs run to
#     hurt the cluster: kill N (SIGKILL, as a crash), stop N, start N, wait N, stop-all, start-all,
#     wait-all, ensure (start and wait for whatever is down), status; N is 1, 2 or 3. It reads the ports and names the launch wrote into <dir>.
#
# LOA_TEST_RABBITMQ_CLUSTER is one amqp URI naming every node: amqp://guest:guest@127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3/
# (the form Loa's ConnectionStrings:RabbitMq takes for a cluster; see src/Dispatcher/Bus/BrokerAddress.cs).
#
# Like the single broker: own loopback ports (AMQP and distribution per node, one epmd for the three),
# node names loa-a-<pid>@localhost..., one Erlang cookie shared by the nodes and the CLI (HOME in the
# throwaway directory), nothing read from /etc/rabbitmq, everything deleted afterwards. No plugins.

RMQC_DIR=""          # throwaway directory; <dir>/<n>/ per node, <dir>/cluster.state, <dir>/ctl
RMQC_WATCHDOG_PID="" # kills the nodes if the script that started them dies without cleaning up
RMQC_STARTED_AT=0
RMQC_BIN=/usr/lib/rabbitmq/bin   # the real scripts; /usr/sbin's wrappers would drop our environment
RMQC_SELF=$(readlink -f "${BASH_SOURCE[0]}")

_rmqc_log() { echo "[rabbitmq-cluster] $*" >&2; }

# Loads the state a launch wrote (ports, names, epmd) so that any later process can act on the nodes.
_rmqc_load() {
    RMQC_DIR=$1
    # shellcheck source=/dev/null
    source "$RMQC_DIR/cluster.state"
}

_rmqc_node_name() { local v="NODE_$1"; echo "${!v}"; }
_rmqc_amqp_port() { local v="AMQP_$1"; echo "${!v}"; }

# The environment of every rabbitmq-server / rabbitmqctl call for node $1.
_rmqc_env() {
    local n=$1 dir="$RMQC_DIR/$1" v_dist="DIST_$1"
    echo HOME="$RMQC_DIR/home" ERL_EPMD_PORT="$EPMD_PORT" ERL_EPMD_ADDRESS=127.0.0.1 \
        RABBITMQ_NODENAME="$(_rmqc_node_name "$n")" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
        RABBITMQ_NODE_PORT="$(_rmqc_amqp_port "$n")" RABBITMQ_DIST_PORT="${!v_dist}" \
        RABBITMQ_CONF_ENV_FILE="$RMQC_DIR/rabbitmq-env.conf" RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" \
        RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config" RABBITMQ_ENABLED_PLUGINS_FILE="$RMQC_DIR/enabled_plugins" \
        RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_LOGS="$dir/log/rabbit.log" \
        RABBITMQ_PID_FILE="$dir/rabbit.pid"
}

# Runs a command with node $1's environment. The Erlang arguments keep distribution on loopback;
# they hold spaces, so they are not in _rmqc_env's word list.
_rmqc_run() {
    local n=$1
    shift
    local -a envs
    read -r -a envs <<<"$(_rmqc_env "$n")"
    env "${envs[@]}" RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}' \
        RABBITMQ_CTL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}' "$@"
}

_rmqc_ctl() { local n=$1; shift; _rmqc_run "$n" "$RMQC_BIN/rabbitmqctl" -q -n "$(_rmqc_node_name "$n")" "$@"; }

_rmqc_alive_session() {
    # shellcheck disable=SC2009  # pgrep -s would also count zombies
    [[ -n $1 ]] && ps -o stat= -s "$1" 2>/dev/null | grep -qv '^Z'
}

_rmqc_session() { cat "$RMQC_DIR/$1/session.pid" 2>/dev/null; }

# Starts node $1 in its own session (so it can be killed whole, and outlives the caller, which may
# be a test process) and returns at once.
rmqc_start_node() {
    local n=$1
    if _rmqc_alive_session "$(_rmqc_session "$n")"; then
        _rmqc_log "node $n is already running"
        return 0
    fi
    setsid bash -c 'source "$1"; _rmqc_load "$2"; _rmqc_run "$3" "$RMQC_BIN/rabbitmq-server"' \
        loa-rmqc-node "$RMQC_SELF" "$RMQC_DIR" "$n" </dev/null >>"$RMQC_DIR/$n/log/server.out" 2>&1 &
    echo $! >"$RMQC_DIR/$n/session.pid"
    disown $! 2>/dev/null || true
}

# SIGKILL of node $1's whole tree: what a crash or an OOM kill does; nothing shuts down cleanly.
rmqc_kill_node() {
    local sid
    sid=$(_rmqc_session "$1")
    [[ -n $sid ]] || return 0
    kill -KILL -- "-$sid" 2>/dev/null
    pkill -KILL -s "$sid" 2>/dev/null
    local deadline=$((SECONDS + 10))
    while _rmqc_alive_session "$sid" && ((SECONDS < deadline)); do sleep 0.1; done
    : >"$RMQC_DIR/$1/session.pid"
}

# A clean stop of node $1 (SIGTERM: the server script and the VM shut down in order), killed after 30 s.
rmqc_stop_node() {
    local sid
    sid=$(_rmqc_session "$1")
    [[ -n $sid ]] || return 0
    kill -TERM -- "-$sid" 2>/dev/null
    local deadline=$((SECONDS + 30))
    while _rmqc_alive_session "$sid" && ((SECONDS < deadline)); do sleep 0.2; done
    if _rmqc_alive_session "$sid"; then
        _rmqc_log "node $1 did not stop within 30s; killing it"
        rmqc_kill_node "$1"
    fi
    : >"$RMQC_DIR/$1/session.pid"
}

# Waits (bounded) until node $1 has booted and runs the broker.
rmqc_wait_node() {
    local n=$1 timeout=${2:-90} deadline
    deadline=$((SECONDS + timeout))
    while ! (exec 3<>"/dev/tcp/127.0.0.1/$(_rmqc_amqp_port "$n")") 2>/dev/null; do
        if ! _rmqc_alive_session "$(_rmqc_session "$n")"; then
            _rmqc_log "node $n exited during startup; its output:"
            tail -n 30 "$RMQC_DIR/$n/log/server.out" >&2
            return 1
        fi
        if ((SECONDS >= deadline)); then
            _rmqc_log "node $n did not open its AMQP port within ${timeout}s"
            tail -n 30 "$RMQC_DIR/$n/log/server.out" >&2
            return 1
        fi
        sleep 0.3
    done
    local left=$((deadline - SECONDS))
    ((left < 5)) && left=5
    timeout $((left + 5)) bash -c 'source "$1"; _rmqc_load "$2"; _rmqc_ctl "$3" await_startup --timeout "$4"' \
        x "$RMQC_SELF" "$RMQC_DIR" "$n" "$left" >"$RMQC_DIR/$n/log/await.out" 2>&1 || {
        _rmqc_log "node $n listens but 'rabbitmqctl await_startup' failed:"
        cat "$RMQC_DIR/$n/log/await.out" >&2
        return 1
    }
}

# Creates the directory, epmd and the three nodes (not yet clustered) and returns at once.
rmqc_launch() {
    if [[ ! -x $RMQC_BIN/rabbitmq-server ]]; then
        _rmqc_log "rabbitmq-server is not installed ($RMQC_BIN/rabbitmq-server missing); run 'bash scripts/test.sh' once"
        return 1
    fi
    local epmd_bin
    epmd_bin=$(command -v epmd || compgen -G '/usr/lib/erlang/erts-*/bin/epmd' | head -n1 || true)
    [[ -n $epmd_bin ]] || { _rmqc_log "epmd not found (erlang-base)"; return 1; }
    # scripts/rabbitmq.sh has the port picker. Sourced only when absent: sourcing it again would
    # reset the single broker's state in scripts/test.sh.
    # shellcheck source=scripts/rabbitmq.sh
    declare -F _rmq_free_ports >/dev/null || source "$(dirname "$RMQC_SELF")/rabbitmq.sh"

    RMQC_DIR=$(mktemp -d "${TMPDIR:-/tmp}/loa-rabbitmq-cluster.XXXXXX")
    mkdir -p "$RMQC_DIR/home"
    local ports
    read -r -a ports <<<"$(_rmq_free_ports 7)"
    {
        echo "EPMD_PORT=${ports[0]}"
        local n letters=(x a b c)
        for n in 1 2 3; do
            echo "NODE_$n=loa-${letters[$n]}-$$@localhost"
            echo "AMQP_$n=${ports[$n]}"
            echo "DIST_$n=${ports[$((n + 3))]}"
        done
        echo "EPMD_BIN=$epmd_bin"
    } >"$RMQC_DIR/cluster.state"
    _rmqc_load "$RMQC_DIR"

    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$RMQC_DIR/home/.erlang.cookie"
    chmod 400 "$RMQC_DIR/home/.erlang.cookie"
    echo '[].' >"$RMQC_DIR/enabled_plugins"
    : >"$RMQC_DIR/rabbitmq-env.conf"
    local n
    for n in 1 2 3; do
        mkdir -p "$RMQC_DIR/$n"/{mnesia,log}
        : >"$RMQC_DIR/$n/session.pid"
        cat >"$RMQC_DIR/$n/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:$(_rmqc_amqp_port "$n")
log.console = false
log.file.level = info
EOF
    done
    printf '#!/usr/bin/env bash\nexec bash %q ctl %q "$@"\n' "$RMQC_SELF" "$RMQC_DIR" >"$RMQC_DIR/ctl"
    chmod +x "$RMQC_DIR/ctl"

    setsid "$epmd_bin" -address 127.0.0.1 -port "$EPMD_PORT" </dev/null >"$RMQC_DIR/epmd.out" 2>&1 &
    echo $! >"$RMQC_DIR/epmd.pid"
    disown $!
    for n in 1 2 3; do rmqc_start_node "$n"; done

    # shellcheck disable=SC2016  # the inner script's own arguments
    setsid bash -c '
        while kill -0 "$1" 2>/dev/null; do sleep 2; done
        for f in "$2"/?/session.pid "$2"/epmd.pid; do s=$(cat "$f" 2>/dev/null); [[ -n $s ]] && kill -KILL -- "-$s" 2>/dev/null; done
        rm -rf "$2"' loa-rmqc-watchdog "$$" "$RMQC_DIR" </dev/null >/dev/null 2>&1 &
    RMQC_WATCHDOG_PID=$!
    disown "$RMQC_WATCHDOG_PID"
    RMQC_STARTED_AT=$SECONDS
}

# Waits for the three nodes, joins 2 and 3 to 1, and exports LOA_TEST_RABBITMQ_CLUSTER(_CTL).
rmqc_wait_ready() {
    local timeout=${1:-120} n deadline
    deadline=$((SECONDS + timeout))
    for n in 1 2 3; do
        rmqc_wait_node "$n" $((deadline - SECONDS > 10 ? deadline - SECONDS : 10)) || return 1
    done
    if [[ ! -e $RMQC_DIR/joined ]]; then
        for n in 2 3; do
            { _rmqc_ctl "$n" stop_app && _rmqc_ctl "$n" join_cluster "$NODE_1" && _rmqc_ctl "$n" start_app; } \
                >"$RMQC_DIR/$n/log/join.out" 2>&1 || {
                _rmqc_log "node $n could not join $NODE_1:"
                cat "$RMQC_DIR/$n/log/join.out" >&2
                return 1
            }
        done
        : >"$RMQC_DIR/joined"
    fi
    if ! _rmqc_ctl 1 await_online_nodes 3 --timeout 30 >"$RMQC_DIR/1/log/online.out" 2>&1; then
        _rmqc_log "the cluster did not show three running nodes:"
        cat "$RMQC_DIR/1/log/online.out" >&2
        return 1
    fi
    export LOA_TEST_RABBITMQ_CLUSTER="amqp://guest:guest@127.0.0.1:${AMQP_1},127.0.0.1:${AMQP_2},127.0.0.1:${AMQP_3}/"
    export LOA_TEST_RABBITMQ_CLUSTER_CTL="$RMQC_DIR/ctl"
    _rmqc_log "three nodes running and clustered ($NODE_1, $NODE_2, $NODE_3), $((SECONDS - RMQC_STARTED_AT))s after launch"
}

# Stops the nodes and epmd and deletes the directory; safe to call twice or after a failed launch.
rmqc_stop() {
    local - n
    set +e
    [[ -n $RMQC_WATCHDOG_PID ]] && kill -KILL -- "-$RMQC_WATCHDOG_PID" 2>/dev/null
    if [[ -n $RMQC_DIR && -d $RMQC_DIR ]]; then
        for n in 1 2 3; do rmqc_stop_node "$n" & done
        wait
        local epmd
        epmd=$(cat "$RMQC_DIR/epmd.pid" 2>/dev/null)
        [[ -n $epmd ]] && kill -TERM -- "-$epmd" 2>/dev/null
        rm -rf "$RMQC_DIR"
    fi
    RMQC_DIR="" RMQC_WATCHDOG_PID=""
    return 0
}

# The specs' handle on the cluster: <dir>/ctl <command> [node].
_rmqc_control() {
    _rmqc_load "$1"
    local cmd=$2 n=${3:-}
    case $cmd in
        kill | stop | start | wait)
            [[ $n == [123] ]] || { _rmqc_log "$cmd needs a node: 1, 2 or 3"; return 2; }
            case $cmd in
                kill) rmqc_kill_node "$n" ;;
                stop) rmqc_stop_node "$n" ;;
                start) rmqc_start_node "$n" ;;
                wait) rmqc_wait_node "$n" "${4:-120}" ;;
            esac
            ;;
        stop-all) for n in 1 2 3; do rmqc_stop_node "$n" & done; wait ;;
        # Together: a node that was not the last to stop waits for its peers' tables at boot.
        start-all) for n in 1 2 3; do rmqc_start_node "$n"; done ;;
        wait-all)
            for n in 1 2 3; do rmqc_wait_node "$n" "${3:-180}" || return 1; done
            _rmqc_ctl 1 await_online_nodes 3 --timeout 60
            ;;
        # Brings back whatever an earlier spec left down; a whole cluster costs one CLI call (each costs seconds).
        ensure)
            local started=()
            for n in 1 2 3; do
                _rmqc_alive_session "$(_rmqc_session "$n")" || { rmqc_start_node "$n"; started+=("$n"); }
            done
            for n in "${started[@]}"; do rmqc_wait_node "$n" 180 || return 1; done
            _rmqc_ctl 1 await_online_nodes 3 --timeout 60
            ;;
        status) _rmqc_ctl 1 cluster_status ;;
        *) _rmqc_log "unknown command '$cmd' (kill|stop|start|wait N, stop-all, start-all, wait-all, ensure, status)"; return 2 ;;
    esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -uo pipefail
    if [[ ${1:-} == ctl ]]; then
        shift
        _rmqc_control "$@"
        exit $?
    fi
    set -e
    trap 'rmqc_stop' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    rmqc_launch
    rmqc_wait_ready 120
    echo "export LOA_TEST_RABBITMQ_CLUSTER=$LOA_TEST_RABBITMQ_CLUSTER"
    echo "export LOA_TEST_RABBITMQ_CLUSTER_CTL=$LOA_TEST_RABBITMQ_CLUSTER_CTL"
    echo "Cluster is up; press Ctrl-C to stop it and delete its data." >&2
    while [[ -d $RMQC_DIR ]]; do sleep 1; done
fi
