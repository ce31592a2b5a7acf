#!/usr/bin/env bash
# A private, throwaway RabbitMQ broker for Loa's tests.
#
# Two ways to use it:
#   * sourced by scripts/test.sh, which calls rmq_launch, rmq_wait_ready and rmq_stop;
#   * run directly, `bash scripts/rabbitmq.sh`, to get a broker for running single tests by
#     hand or from an IDE: it prints the `export LOA_TEST_RABBITMQ=...` line to paste and
#     keeps the broker up until Ctrl-C.
#
# Why "private": the machine (a developer box, CI) may already run a broker, an epmd on 4369
# or another copy of this script. So each broker gets its own loopback ports (AMQP, Erlang
# distribution, epmd), its own node name, its own Erlang cookie (HOME points into the
# throwaway directory) and its own data/log/config directory; nothing is read from
# /etc/rabbitmq or /var/lib/rabbitmq, and everything is deleted afterwards.
#
# It needs the Debian package rabbitmq-server (scripts/test.sh installs it when absent).

# State shared between the functions (set by rmq_launch).
RMQ_DIR=""          # throwaway directory: config, data, logs, HOME (cookie)
RMQ_NODE=""         # Erlang node name, e.g. loa-test-1234@localhost
RMQ_PORT=""         # AMQP port on 127.0.0.1
RMQ_PID=""          # broker's session leader; its pid is also the process group / session id
RMQ_EPMD_PID=""     # our private epmd
RMQ_WATCHDOG_PID="" # kills the broker if the script that started it dies without cleaning up
RMQ_ENV=()          # environment for every rabbitmq-server / rabbitmqctl call

# Debian puts the real scripts in /usr/lib/rabbitmq/bin. /usr/sbin/rabbitmq-* are wrappers
# that, when run as root, switch to the 'rabbitmq' user with a clean environment, which would
# throw away every RABBITMQ_* / HOME setting below. So call the real scripts directly.
RMQ_BIN=/usr/lib/rabbitmq/bin

_rmq_log() { echo "[rabbitmq] $*" >&2; }

# Prints N distinct free TCP ports on 127.0.0.1, space-separated. Ports are taken from
# 20000-32767, below Linux's ephemeral range (32768+), so that no outgoing connection
# (NuGet, the tests' own clients) is handed one of them between choosing and binding.
_rmq_free_ports() {
    local n=$1
    if command -v python3 >/dev/null 2>&1; then
        python3 - "$n" <<'PY'
import random, socket, sys
n, held, ports = int(sys.argv[1]), [], []
while len(ports) < n:
    p = random.randrange(20000, 32768)
    if p in ports:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))   # fails if anything holds the port, on 127.0.0.1 or 0.0.0.0
    except OSError:
        s.close()
        continue
    held.append(s)                 # keep it bound so the next pick cannot be the same port
    ports.append(p)
print(" ".join(map(str, ports)))
PY
    else
        # No python: pick ports that nothing listens on according to ss.
        local used ports=() p
        used=$(ss -Htan | awk '{print $4}' | sed 's/.*://' | sort -u)
        while ((${#ports[@]} < n)); do
            p=$((20000 + RANDOM % 12768))
            grep -qx "$p" <<<"$used" && continue
            [[ " ${ports[*]} " == *" $p "* ]] && continue
            ports+=("$p")
        done
        echo "${ports[*]}"
    fi
}

# True if the process exists and is not a zombie.
_rmq_alive() {
    local s
    s=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    [[ -n $s && $s != Z* ]]
}

# True if any non-zombie process is left in session $1 (setsid makes session id == pid).
_rmq_session_alive() {
    # shellcheck disable=SC2009  # pgrep -s would also count zombies
    ps -o stat= -s "$1" 2>/dev/null | grep -qv '^Z'
}

# Starts epmd and the broker in the background and returns at once, so the caller can build
# while the broker boots. Exports LOA_TEST_RABBITMQ.
rmq_launch() {
    if [[ ! -x $RMQ_BIN/rabbitmq-server ]]; then
        _rmq_log "rabbitmq-server is not installed ($RMQ_BIN/rabbitmq-server missing)."
        _rmq_log "Run 'bash scripts/test.sh' once, or: apt-get install --no-install-recommends rabbitmq-server"
        return 1
    fi
    local epmd_bin
    epmd_bin=$(command -v epmd || true)
    [[ -n $epmd_bin ]] || epmd_bin=$(compgen -G '/usr/lib/erlang/erts-*/bin/epmd' | head -n1 || true)
    if [[ -z $epmd_bin ]]; then
        _rmq_log "epmd not found (it comes with erlang-base, a dependency of rabbitmq-server)"
        return 1
    fi

    RMQ_DIR=$(mktemp -d "${TMPDIR:-/tmp}/loa-rabbitmq.XXXXXX")
    mkdir -p "$RMQ_DIR"/{home,mnesia,log}
    local ports dist_port epmd_port
    ports=$(_rmq_free_ports 3)
    read -r RMQ_PORT dist_port epmd_port <<<"$ports"
    RMQ_NODE="loa-test-$$@localhost"

    # Our own cookie, written before anything Erlang starts, so the broker and the CLI agree
    # on it and no Erlang process races to create ~/.erlang.cookie.
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$RMQ_DIR/home/.erlang.cookie"
    chmod 400 "$RMQ_DIR/home/.erlang.cookie"

    # No plugins at all: starts faster and opens no management/prometheus ports.
    echo '[].' >"$RMQ_DIR/enabled_plugins"
    # Empty env file, so /etc/rabbitmq/rabbitmq-env.conf cannot change node name or ports.
    : >"$RMQ_DIR/rabbitmq-env.conf"
    # The guest user works only over loopback (RabbitMQ's default), which is all we listen on.
    cat >"$RMQ_DIR/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:$RMQ_PORT
log.console = false
log.file.level = info
EOF

    # Erlang reads ERL_EPMD_PORT (server and CLI alike), so the node registers with our epmd and
    # never touches a system epmd on 4369. inet_dist_use_interface keeps the distribution port
    # on loopback; RABBITMQ_DIST_PORT pins it, so nothing else is opened.
    local erl_loopback='-kernel inet_dist_use_interface {127,0,0,1}'
    RMQ_ENV=(
        HOME="$RMQ_DIR/home"
        ERL_EPMD_PORT="$epmd_port"
        ERL_EPMD_ADDRESS=127.0.0.1
        RABBITMQ_NODENAME="$RMQ_NODE"
        RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
        RABBITMQ_NODE_PORT="$RMQ_PORT"
        RABBITMQ_DIST_PORT="$dist_port"
        RABBITMQ_CONF_ENV_FILE="$RMQ_DIR/rabbitmq-env.conf"
        RABBITMQ_CONFIG_FILE="$RMQ_DIR/rabbitmq.conf"
        RABBITMQ_ADVANCED_CONFIG_FILE="$RMQ_DIR/advanced.config"
        RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_DIR/enabled_plugins"
        RABBITMQ_MNESIA_BASE="$RMQ_DIR/mnesia"
        RABBITMQ_LOG_BASE="$RMQ_DIR/log"
        RABBITMQ_LOGS="$RMQ_DIR/log/rabbit.log"
        RABBITMQ_PID_FILE="$RMQ_DIR/rabbit.pid"
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="$erl_loopback"
        RABBITMQ_CTL_ERL_ARGS="$erl_loopback"
    )

    # Each in its own session (setsid): Ctrl-C on the terminal then reaches only the script,
    # whose trap stops the broker in order, and the whole broker tree (sh -> erl -> beam.smp ->
    # erl_child_setup, inet_gethost) can be found and killed by session id. In a script without
    # job control a background child is not a group leader, so setsid execs in place and $!
    # is the session id.
    setsid "$epmd_bin" -address 127.0.0.1 -port "$epmd_port" \
        </dev/null >"$RMQ_DIR/log/epmd.out" 2>&1 &
    RMQ_EPMD_PID=$!
    disown "$RMQ_EPMD_PID"   # disowned: bash would print "Terminated" when we stop it

    setsid env "${RMQ_ENV[@]}" "$RMQ_BIN/rabbitmq-server" \
        </dev/null >"$RMQ_DIR/log/server.out" 2>&1 &
    RMQ_PID=$!
    disown "$RMQ_PID"

    # If the script is killed outright (SIGKILL, a CI timeout), its EXIT trap never runs and the
    # broker, being in its own session, would outlive it. This watchdog cleans up in that case.
    # shellcheck disable=SC2016  # $1..$4 are the inner script's arguments
    setsid bash -c '
        while kill -0 "$1" 2>/dev/null; do sleep 2; done
        kill -KILL -- "-$2" "-$3" 2>/dev/null
        rm -rf "$4"' loa-rmq-watchdog "$$" "$RMQ_PID" "$RMQ_EPMD_PID" "$RMQ_DIR" \
        </dev/null >/dev/null 2>&1 &
    RMQ_WATCHDOG_PID=$!
    disown "$RMQ_WATCHDOG_PID"

    export LOA_TEST_RABBITMQ="amqp://guest:guest@127.0.0.1:$RMQ_PORT/"
    RMQ_STARTED_AT=$SECONDS
}

_rmq_dump_log() {
    _rmq_log "---- broker output (tail) ----"
    tail -n 40 "$RMQ_DIR/log/server.out" >&2 2>/dev/null || true
    echo >&2   # its last line ("Starting broker...") has no newline until boot completes
    _rmq_log "---- broker log (tail) ----"
    tail -n 40 "$RMQ_DIR/log/rabbit.log" >&2 2>/dev/null || true
}

# Waits (bounded) until the broker accepts AMQP connections and has finished booting.
rmq_wait_ready() {
    local timeout=${1:-90} deadline=$((SECONDS + ${1:-90})) polls=0
    # Polling the port is cheap; the AMQP listener is one of the last things RabbitMQ starts.
    while ! (exec 3<>"/dev/tcp/127.0.0.1/$RMQ_PORT") 2>/dev/null; do
        polls=$((polls + 1))
        if ! _rmq_alive "$RMQ_PID"; then
            _rmq_log "RabbitMQ exited during startup."
            _rmq_dump_log
            return 1
        fi
        if ((SECONDS >= deadline)); then
            _rmq_log "RabbitMQ did not open 127.0.0.1:$RMQ_PORT within ${timeout}s."
            _rmq_dump_log
            return 1
        fi
        sleep 0.3
    done
    # One CLI call to be sure boot is complete; it also proves the cookie/epmd wiring that
    # rmq_stop relies on.
    local left=$((deadline - SECONDS))
    ((left < 5)) && left=5
    if ! env "${RMQ_ENV[@]}" timeout $((left + 5)) "$RMQ_BIN/rabbitmqctl" -q -n "$RMQ_NODE" \
        await_startup --timeout "$left" >"$RMQ_DIR/log/await.out" 2>&1; then
        _rmq_log "RabbitMQ is listening but 'rabbitmqctl await_startup' failed:"
        cat "$RMQ_DIR/log/await.out" >&2
        _rmq_dump_log
        return 1
    fi
    if ((polls > 0)); then
        _rmq_log "ready on 127.0.0.1:$RMQ_PORT (node $RMQ_NODE), $((SECONDS - RMQ_STARTED_AT))s after launch"
    else
        # It finished booting while the caller was busy (building); the time is not boot time.
        _rmq_log "ready on 127.0.0.1:$RMQ_PORT (node $RMQ_NODE); it had booted while we were busy"
    fi
}

# Stops broker, epmd and watchdog, and deletes the throwaway directory. Safe to call twice
# and when rmq_launch never ran or failed half-way.
rmq_stop() {
    local -   # the set +e below stays local to this function
    set +e    # cleanup must go on past any failed step
    [[ -n $RMQ_WATCHDOG_PID ]] && kill -KILL -- "-$RMQ_WATCHDOG_PID" 2>/dev/null
    if [[ -n $RMQ_PID ]]; then
        # SIGTERM to the whole tree: the rabbitmq-server script and the Erlang VM both treat it
        # as "shut down cleanly". Anything still there after 20s is killed.
        kill -TERM -- "-$RMQ_PID" 2>/dev/null
        local deadline=$((SECONDS + 20))
        while _rmq_session_alive "$RMQ_PID" && ((SECONDS < deadline)); do sleep 0.2; done
        if _rmq_session_alive "$RMQ_PID"; then
            _rmq_log "broker did not stop within 20s; killing it"
            kill -KILL -- "-$RMQ_PID" 2>/dev/null
            pkill -KILL -s "$RMQ_PID" 2>/dev/null   # stragglers that left the process group
            sleep 0.5
        fi
    fi
    # epmd last: the node deregisters from it while shutting down.
    if [[ -n $RMQ_EPMD_PID ]]; then
        kill -TERM -- "-$RMQ_EPMD_PID" 2>/dev/null
    fi
    [[ -n $RMQ_DIR && -d $RMQ_DIR ]] && rm -rf "$RMQ_DIR"
    RMQ_PID="" RMQ_EPMD_PID="" RMQ_WATCHDOG_PID="" RMQ_DIR=""
    return 0
}

# Run directly: start a broker for manual use and keep it until Ctrl-C.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -euo pipefail
    trap 'rmq_stop' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    rmq_launch
    rmq_wait_ready 90
    echo "export LOA_TEST_RABBITMQ=$LOA_TEST_RABBITMQ"
    echo "Broker is up; press Ctrl-C to stop it and delete its data." >&2
    # Wake up if the broker dies on its own, too.
    while _rmq_alive "$RMQ_PID"; do sleep 1; done
    _rmq_log "broker exited on its own"
    _rmq_dump_log
    exit 1
fi
