# scripts/lib/ipc.bash: shell helpers that scripts and tests share (sourced,
# never run): is a process alive, and which named IPC objects a user owns.
# Builtins and one ipcs call only: the tests call them twice per test.

# proclab_alive PID: true while PID exists and is not a zombie (a zombie has
# exited; only its status waits for a parent).  /proc, not kill -0: that
# fails with EPERM for another user's live process.
proclab_alive() {
  local stat
  read -r stat 2>/dev/null </proc/"$1"/stat || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# proclab_sysv_ids USER: "msg ID", "sem ID", "shm ID" lines of USER's System V
# objects.
proclab_sysv_ids() {
  ipcs 2>/dev/null | awk -v u="$1" '
    /Message Queues/ { k = "msg" } /Shared Memory/ { k = "shm" }
    /Semaphore Arrays/ { k = "sem" }
    $1 ~ /^0x/ && $3 == u { print k, $2 }'
}

# proclab_ipc_objects USER UID [SKIP]: every IPC object of USER, one per line,
# sorted: "file PATH" for POSIX shared memory and semaphores (/dev/shm),
# POSIX queues (/dev/mqueue) and private directories (FIFOs, sockets, lock
# files: /tmp/proclab-UID-PID-*), except the path SKIP; "msg|sem|shm ID" for
# System V objects.
proclab_ipc_objects() {
  local user=$1 uid=$2 skip=${3-} f
  {
    for f in /dev/shm/* /dev/mqueue/* /tmp/proclab-"$uid"-*; do
      [[ -e $f && -O $f && $f != "$skip" ]] && echo "file $f"
    done
    proclab_sysv_ids "$user"
  } | sort -u
}
