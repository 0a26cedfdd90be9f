#!/usr/bin/env bash
# scripts/clean_ipc.sh: remove IPC objects a crashed proclab run left behind.
#
# proclab names every POSIX object /proclab-UID-PID-WHAT and creates every
# System V object with IPC_PRIVATE.  This removes, for the calling user only:
#   - /dev/shm/proclab-UID-* and /dev/mqueue/proclab-UID-* whose PID is dead
#   - System V shared memory segments with no key (IPC_PRIVATE) owned by the
#     user whose creating process (ipcs -m -p) is dead
#   - with --sysv-all, also every keyless System V queue and semaphore set
#     the user owns (the kernel does not record who created those)
# It never touches a segment of a live process.  -n lists without removing.
set -euo pipefail
dry=0 sysv_all=0
for arg in "$@"; do
  case $arg in
    -n) dry=1 ;;
    --sysv-all) sysv_all=1 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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

for dir in /dev/shm /dev/mqueue; do
  for f in "$dir"/proclab-"$uid"-*; do
    [[ -e $f ]] || continue
    pid=${f##*/proclab-"$uid"-}; pid=${pid%%-*}
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && continue
    remove "$f" rm -f -- "$f"
  done
done

# ipcs -m -p: shmid owner cpid lpid; ipcs -q/-s/-m: key id owner ...
kinds=(m)
((sysv_all)) && kinds+=(q s)
for kind in "${kinds[@]}"; do
  declare -A cpid=()
  while read -r id owner c _; do
    [[ $owner == "$user" ]] && cpid[$id]=$c
  done < <([[ $kind == m ]] && ipcs -m -p 2>/dev/null | awk 'NF >= 4 && $1 ~ /^[0-9]+$/')
  while read -r key id owner _; do
    [[ $owner == "$user" && $key == 0x00000000 ]] || continue
    if [[ $kind == m ]]; then
      c=${cpid[$id]:-}
      [[ -n $c ]] && kill -0 "$c" 2>/dev/null && continue
    fi
    remove "System V -$kind id $id" ipcrm -"$kind" "$id"
  done < <(ipcs -"$kind" 2>/dev/null | awk '$1 ~ /^0x/')
  unset cpid
done
((removed)) || echo "nothing to remove"
