# tests/labs/pool/servers.bash: start a proclab server in the background and
# learn its port; check that processes are gone.  Loaded by the server tests
# after ../../helpers/common.

# start_server OUT CMD...: run CMD in the background with stdout in OUT
# (stderr in OUT.err); wait up to 5 s for its first line, port=N.  Sets
# $server (its pid) and $port.
start_server() {
    local out=$1
    shift
    : >"$out"                   # exists before the background job opens it
    "$@" >"$out" 2>"$out.err" 3>&- &
    server=$!
    port=
    for _ in $(seq 250); do
        port=$(sed -n '1s/^port=\([0-9][0-9]*\)$/\1/p' "$out")
        [[ -n $port ]] && return 0
        proclab_alive "$server" || break
        sleep 0.02
    done
    echo "# the server printed no port=N line; stdout:" >&2
    cat "$out" "$out.err" >&2
    return 1
}

# wait_server [SECONDS]: wait for $server (default 10 s, then SIGKILL);
# sets $server_status.
wait_server() {
    local limit=${1:-10}
    for _ in $(seq $((limit * 50))); do
        proclab_alive "$server" || break
        sleep 0.02
    done
    proclab_alive "$server" && kill -KILL "$server"
    server_status=0
    wait "$server" || server_status=$?
}


# all_gone_within MS PID...: true when none of the PIDs is alive within MS.
all_gone_within() {
    local ms=$1 p left
    shift
    for ((t = 0; t <= ms; t += 20)); do
        left=
        for p in "$@"; do proclab_alive "$p" && left+=" $p"; done
        [[ -z $left ]] && return 0
        sleep 0.02
    done
    echo "# still running after $ms ms:$left" >&2
    left=${left# }
    ps -o pid,ppid,stat,args -p "${left// /,}" >&2 || true
    return 1
}
