#!/usr/bin/env bash
# Starts a real Spark standalone cluster on this machine, on loopback: one Master and N Workers
# (default 2), each its own JVM, from Maven's jars alone (no Spark download). Waits until every
# worker has registered with the master, then prints shell assignments on stdout:
#   MASTER_URL=spark://127.0.0.1:<port>   MASTER_UI=http://127.0.0.1:<port>   SPARK_HOME=...   RUN_DIR=...
# (also written to RUN_DIR/cluster.env). Stop it with stop-cluster.sh and the same --dir.
#
# How it works without a distribution: SPARK_HOME/jars holds links to Spark's runtime jars (resolved
# from deploy/standalone/pom.xml for the Spark and Scala versions asked), and SPARK_SCALA_VERSION
# tells Spark's launcher code which layout it is in; each Worker then launches executor JVMs with
# SPARK_HOME/jars/* as their classpath, as a real cluster does. The application reaches the
# executors as a jar (spark.jars / spark-submit), e.g. driver/target/cnn-spark-driver-*-spark.jar.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

usage() {
  cat <<EOF
usage: $(basename "$0") [--dir RUN_DIR] [--workers N] [--worker-cores C] [--worker-memory M]
                        [--spark-version V] [--scala-version S] [--timeout SECONDS]
  --dir            where logs, pid files and work dirs go (default: $root/runs/standalone)
  --workers        number of Worker JVMs (default: 2)
  --worker-cores   cores each worker offers (default: 1; one executor of 1 core per worker)
  --worker-memory  memory each worker offers to executors (default: 2g)
  --spark-version  Spark to run (default: spark.version in pom.xml; 4.1.0 or 4.2.0 for the spark-4.1 or
                   spark-4.2 profile)
  --scala-version  Scala binary version of that Spark's jars (default: 2.13; 2.12 for the spark-3.5 profile)
  --timeout        seconds to wait for the master and the workers (default: 180)
Environment: JAVA_HOME (the JDK of the daemons and their executors, as in Spark's own scripts;
  default: java on the PATH), CNN_SPARK_HOMES (where SPARK_HOME dirs are built, default: $root/runs),
  CNN_SPARK_MASTER_PORT / CNN_SPARK_MASTER_UI_PORT (first port tried, default 17077 / 18080).
EOF
}

run_dir="$root/runs/standalone"
workers=2
worker_cores=1
worker_memory=2g
spark_version=""
scala_version=2.13
timeout=180
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) run_dir="$2"; shift 2 ;;
    --workers) workers="$2"; shift 2 ;;
    --worker-cores) worker_cores="$2"; shift 2 ;;
    --worker-memory) worker_memory="$2"; shift 2 ;;
    --spark-version) spark_version="$2"; shift 2 ;;
    --scala-version) scala_version="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "start-cluster: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
log() { echo "start-cluster: $*" >&2; }
die() { echo "start-cluster: error: $*" >&2; exit 1; }

java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
command -v "$java" >/dev/null || die "$java is not there: install a JDK 17+ (on the PATH, or set JAVA_HOME to it)"
command -v curl >/dev/null || die "curl is needed to ask the master for its workers; apt-get install -y curl"
mkdir -p "$run_dir"
run_dir="$(cd "$run_dir" && pwd)"

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
if alive "$run_dir/master.pid"; then
  die "a cluster is already running from $run_dir (master pid $(cat "$run_dir/master.pid")); stop it first: $here/stop-cluster.sh --dir $run_dir"
fi
rm -f "$run_dir"/*.pid "$run_dir/cluster.env"

if [ -z "$spark_version" ]; then
  spark_version="$(sed -n 's:.*<spark.version>\(.*\)</spark.version>.*:\1:p' "$root/pom.xml" | head -n 1)"
fi
[ -n "$spark_version" ] || die "could not read <spark.version> from $root/pom.xml; pass --spark-version"

# SPARK_HOME with jars/ linking Spark's runtime jars, built once per Spark version. Built in a
# temporary directory and renamed, so two clusters starting at once never see a half-made one.
suffix=""
[ "$scala_version" = 2.13 ] || suffix="_$scala_version"
spark_home="${CNN_SPARK_HOMES:-$root/runs}/spark-$spark_version$suffix"
if [ ! -f "$spark_home/classpath.txt" ]; then
  log "linking Spark $spark_version's jars from the Maven repository into $spark_home (once)"
  mkdir -p "$(dirname "$spark_home")"
  tmp="$(mktemp -d "$spark_home.tmp.XXXXXX")"
  if ! mvn -q -B -f "$here/pom.xml" -Dspark.version="$spark_version" -Dscala.binary.version="$scala_version" \
      org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
      -Dmdep.includeScope=runtime -Dmdep.outputFile="$tmp/classpath.txt" >"$tmp/mvn.log" 2>&1; then
    cat "$tmp/mvn.log" >&2
    rm -rf "$tmp"
    die "Maven could not resolve Spark $spark_version's jars (log above); check the version and that Maven Central is reachable"
  fi
  mkdir "$tmp/jars"
  tr ':' '\n' <"$tmp/classpath.txt" | while read -r jar; do
    [ -n "$jar" ] || continue
    name="$(basename "$jar")"
    # Two artifacts may share a file name (same artifactId and version, other groups): keep both.
    [ -e "$tmp/jars/$name" ] && name="$(basename "$(dirname "$(dirname "$jar")")")-$name"
    ln -s "$jar" "$tmp/jars/$name"
  done
  mv -T "$tmp" "$spark_home" 2>/dev/null || rm -rf "$tmp" # another start made it first: use theirs
fi
[ -f "$spark_home/jars/spark-core_$scala_version-$spark_version.jar" ] \
  || die "$spark_home/jars has no spark-core_$scala_version-$spark_version.jar; delete $spark_home and retry"

flags="$(sed -n 's:.*<cnn.jvm.flags>\(.*\)</cnn.jvm.flags>.*:\1:p' "$root/pom.xml")"
export SPARK_HOME="$spark_home"
export SPARK_SCALA_VERSION="$scala_version"
export SPARK_LOCAL_IP=127.0.0.1

# A port nobody listens on, from $1 upwards. Another process may still take it before the master
# binds; then the master fails fast (spark.port.maxRetries=0) and we try the next ports.
free_port() {
  local p="$1"
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}

# Starts a JVM in its own session (so stop-cluster.sh can end it and the executors it forks as one
# process group), stdin closed, output to a log file; the pid file holds the group's id.
start_daemon() {
  local name="$1"; shift
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$run_dir/$name.pid" \
    "$java" $flags -Xmx512m -cp "$spark_home/jars/*" -Dspark.port.maxRetries=0 "$@" \
    </dev/null >"$run_dir/$name.log" 2>&1 &
  local waited=0
  until [ -s "$run_dir/$name.pid" ]; do
    sleep 0.1; waited=$((waited + 1))
    [ "$waited" -lt 100 ] || die "$name did not start (no pid file after 10 s)"
  done
}

cleanup_on_failure() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    log "stopping what was started; logs stay in $run_dir"
    "$here/stop-cluster.sh" --dir "$run_dir" >&2 || true
  fi
}
trap cleanup_on_failure EXIT

tail_log() { echo "---- last lines of $1 ----" >&2; tail -n 25 "$1" >&2 || true; }

master_json() { curl -sf --max-time 5 "http://127.0.0.1:$ui_port/json/" 2>/dev/null; }

deadline=$((SECONDS + timeout))
master_port="${CNN_SPARK_MASTER_PORT:-17077}"
ui_port_base="${CNN_SPARK_MASTER_UI_PORT:-18080}"
for attempt in 1 2 3; do
  master_port="$(free_port "$master_port")"
  ui_port="$(free_port "$ui_port_base")"
  [ "$ui_port" != "$master_port" ] || ui_port="$(free_port $((ui_port + 1)))"
  log "starting master on 127.0.0.1:$master_port (web UI $ui_port), Spark $spark_version"
  start_daemon master -Dspark.master.rest.enabled=false \
    org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$master_port" --webui-port "$ui_port"
  until master_json >/dev/null; do
    if ! alive "$run_dir/master.pid"; then break; fi
    [ "$SECONDS" -lt "$deadline" ] || { tail_log "$run_dir/master.log"; die "the master did not answer on http://127.0.0.1:$ui_port/json/ within ${timeout}s"; }
    sleep 1
  done
  if alive "$run_dir/master.pid"; then break; fi
  if grep -qiE "bind|address already in use" "$run_dir/master.log" && [ "$attempt" -lt 3 ]; then
    log "a port was taken meanwhile; trying the next ones"
    master_port=$((master_port + 1)); ui_port_base=$((ui_port + 1))
    continue
  fi
  tail_log "$run_dir/master.log"
  die "the master exited during start-up (log: $run_dir/master.log)"
done
master_url="spark://127.0.0.1:$master_port"

for i in $(seq 1 "$workers"); do
  mkdir -p "$run_dir/worker-$i"
  log "starting worker $i ($worker_cores core(s), $worker_memory)"
  start_daemon "worker-$i" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --port 0 --webui-port 0 \
    --cores "$worker_cores" --memory "$worker_memory" --work-dir "$run_dir/worker-$i" "$master_url"
done

while :; do
  registered="$(master_json | sed -n 's/.*"aliveworkers" *: *\([0-9]*\).*/\1/p' | head -n 1)"
  [ "${registered:-0}" -ge "$workers" ] && break
  for i in $(seq 1 "$workers"); do
    alive "$run_dir/worker-$i.pid" || { tail_log "$run_dir/worker-$i.log"; die "worker $i exited during start-up (log: $run_dir/worker-$i.log)"; }
  done
  alive "$run_dir/master.pid" || { tail_log "$run_dir/master.log"; die "the master exited (log: $run_dir/master.log)"; }
  [ "$SECONDS" -lt "$deadline" ] || die "only ${registered:-0} of $workers workers registered within ${timeout}s (logs: $run_dir/worker-*.log)"
  sleep 1
done

cat >"$run_dir/cluster.env" <<EOF
MASTER_URL=$master_url
MASTER_UI=http://127.0.0.1:$ui_port
SPARK_HOME=$spark_home
SPARK_VERSION=$spark_version
RUN_DIR=$run_dir
EOF
log "up: $master_url with $workers workers (web UI http://127.0.0.1:$ui_port, logs in $run_dir)"
cat "$run_dir/cluster.env"
