#!/usr/bin/env bash
# scripts/clean_ipc.sh: remove IPC objects a crashed proclab run left behind.
#
# Every proclab object carries its creator's pid: POSIX names are
# /proclab-UID-PID-..., private directories /tmp/proclab-UID-PID-..., and an
# IPC_PRIVATE System V queue or semaphore set is recorded, as long as it
# exists, by an empty directory /tmp/proclab-UID-PID-msg|sem-ID-XXXXXX.
# For the calling user only, and only when PID no longer runs, this removes:
#   - POSIX shared memory  /dev/shm/proclab-UID-PID-*
#   - named semaphores     /dev/shm/sem.proclab-UID-PID-*
#   - POSIX message queues /dev/mqueue/proclab-UID-PID-*
#   - System V queues and semaphore sets recorded by such a PID (when the
#     object is still there, ours and keyless), then the record
#   - /tmp/proclab-UID-PID-* (FIFO and socket directories, lock and log files)
# A live process's object, and anything proclab did not make (another
# program's System V segment, queue or set), is never touched.
# -n lists what would go without removing it.
set -euo pipefail
dry=0
for arg in "$@"; do
  case $arg in
    -n) dry=1 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --sysv-all)
      echo "clean_ipc.sh: --sysv-all is gone: System V objects are removed when a dead run recorded them" >&2
      exit 2 ;;
    *) echo "clean_ipc.sh: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done
uid=$(id -u) user=$(id -un)
removed=0

remove() {  # description, command...
  local what=$1; shift
  echo "removing $what"
  ((dry)) || "$@" || true
  removed=$((removed + 1))
}

# proclab_alive PID: true while PID runs (a zombie has exited: its objects
# are leftovers).
# shellcheck source=lib/ipc.bash
source "$(dirname "${BASH_SOURCE[0]}")/lib/ipc.bash"

# The creator pid in NAME (".../[sem.]proclab-UID-PID-..."), if NAME is
# ours (owned by us, not followed if a symlink) and PID is dead.
dead_creator() {
  local f=$1 base=${1##*/} pid
  [[ $base =~ ^(sem\.)?proclab-$uid-([0-9]+)- ]] || return 1
  pid=${BASH_REMATCH[2]}
  [[ $(stat -c %u -- "$f" 2>/dev/null) == "$uid" ]] || return 1
  ! proclab_alive "$pid"
}

# "KIND ID" lines (q or s) of System V objects we own with no key.
declare -A keyless=()
while read -r kind key id owner; do
  [[ $owner == "$user" && $key == 0x00000000 ]] && keyless["$kind $id"]=1
done < <({ ipcs -q 2>/dev/null | awk '$1 ~ /^0x/ { print "q", $1, $2, $3 }'
           ipcs -s 2>/dev/null | awk '$1 ~ /^0x/ { print "s", $1, $2, $3 }'; })

for f in /dev/shm/proclab-"$uid"-* /dev/shm/sem.proclab-"$uid"-* /dev/mqueue/proclab-"$uid"-*; do
  [[ -e $f || -L $f ]] || continue
  dead_creator "$f" || continue
  remove "$f" rm -f -- "$f"
done

for f in /tmp/proclab-"$uid"-*; do
  [[ -e $f || -L $f ]] || continue
  dead_creator "$f" || continue
  # A System V record: the object first, then the record.
  if [[ -d $f && ! -L $f && ${f##*/} =~ ^proclab-$uid-[0-9]+-(msg|sem)-([0-9]+)-[A-Za-z0-9]{6}$ ]]; then
    kind=${BASH_REMATCH[1]:0:1} id=${BASH_REMATCH[2]}
    [[ $kind == m ]] && kind=q
    if [[ -n ${keyless["$kind $id"]:-} ]]; then
      remove "System V -$kind id $id (recorded by $f)" ipcrm -"$kind" "$id"
    fi
  fi
  remove "$f" rm -rf -- "$f"
done
((removed)) || echo "nothing to remove"
