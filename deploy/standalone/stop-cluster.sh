#!/usr/bin/env bash
# Stops a cluster started by start-cluster.sh: the workers (with the executor JVMs they forked,
# which share their process group) and then the master. Only the processes named by the pid files
# in RUN_DIR are touched, and only if they are still Spark daemons. Logs stay in RUN_DIR.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
run_dir="$root/runs/standalone"
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) run_dir="$2"; shift 2 ;;
    -h|--help) echo "usage: $(basename "$0") [--dir RUN_DIR]   (default: $root/runs/standalone)"; exit 0 ;;
    *) echo "stop-cluster: unknown option '$1'" >&2; exit 2 ;;
  esac
done
[ -d "$run_dir" ] || { echo "stop-cluster: no run directory $run_dir: nothing to stop" >&2; exit 0; }

# True while any process of the group is left.
group_alive() { pgrep -g "$1" >/dev/null 2>&1; }

stop_one() {
  local pidfile="$1" pid
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  rm -f "$pidfile"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  # The pid may have been reused since: only stop it if it is still one of ours.
  # (A group whose leader, the daemon, is gone but whose executors are left is still ours.)
  if [ -r "/proc/$pid/cmdline" ]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "org.apache.spark.deploy" || return 0
  fi
  group_alive "$pid" || return 0
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do
    group_alive "$pid" || { echo "stop-cluster: stopped $(basename "$pidfile" .pid) (pid $pid)" >&2; return 0; }
    sleep 0.1
  done
  echo "stop-cluster: $(basename "$pidfile" .pid) (pid $pid) still running after 15 s: killing its process group" >&2
  kill -KILL -- "-$pid" 2>/dev/null || true
}

shopt -s nullglob
for f in "$run_dir"/worker-*.pid; do stop_one "$f"; done
[ -f "$run_dir/master.pid" ] && stop_one "$run_dir/master.pid"
rm -f "$run_dir/cluster.env"
