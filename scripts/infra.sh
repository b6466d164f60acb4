#!/usr/bin/env bash
# Real infrastructure for the roomcast test suite: Kafka (KRaft), Redis and a
# MongoDB-wire server (FerretDB on SQLite), all on loopback, no Docker.
#
#   scripts/infra.sh up [--keep-data] [COMPONENT...]
#                                  install what is missing, start what is not running
#                                  (default: kafka redis mongo; `all` = those three)
#   scripts/infra.sh restart COMPONENT...
#                                  stop (SIGTERM) and start again, keeping its data
#   scripts/infra.sh kill COMPONENT...
#                                  SIGKILL, for fault injection; data stays for restart
#   scripts/infra.sh down [COMPONENT...]
#                                  stop what we started (default: everything, jaeger too)
#   scripts/infra.sh status [COMPONENT...]
#                                  up/down per component; non-zero if any is down
#   scripts/infra.sh env           print shell exports: eval "$(scripts/infra.sh env)"
#
# COMPONENT: kafka, redis, mongo (alias ferretdb), jaeger (only when named:
# `up all jaeger`, as scripts/test.sh does; in-memory; UI and query API :16686,
# OTLP :4318 http / :4317 grpc).
# A second, private instance (chaos runs) needs only its own run dir and ports:
#   ROOMCAST_RUN  ROOMCAST_KAFKA_PORT  ROOMCAST_KAFKA_CONTROLLER_PORT  ROOMCAST_REDIS_PORT
#   ROOMCAST_FERRETDB_PORT   (defaults: $ROOMCAST_CACHE/run, 19092, 19093, 16379, 27018)
#   and, if it runs Jaeger: ROOMCAST_JAEGER_QUERY_PORT  ROOMCAST_JAEGER_OTLP_HTTP_PORT
#   ROOMCAST_JAEGER_OTLP_GRPC_PORT  ROOMCAST_JAEGER_QUERY_GRPC_PORT  ROOMCAST_JAEGER_HEALTH_PORT
#   (defaults: 16686, 4318, 4317, 16685, 13133)
#
# Everything downloaded or built (Maven jars, Go modules and build cache, npm
# packages, the FerretDB/Jaeger binaries) lives under $ROOMCAST_CACHE so that
# re-runs are fast; runtime data, pid files and logs live under $ROOMCAST_RUN.
# `up` starts a component clean (its runtime dir wiped) unless --keep-data;
# `restart` and `up --keep-data` keep it: Kafka its log dir and cluster id
# (topics, committed offsets), Redis its append-only file, FerretDB its SQLite
# files. `up` leaves healthy components alone.
#
# What "ours" means: a process in the pid file that still carries the
# component's marker, or any process whose command line names THIS run dir
# (Kafka's server.properties, FerretDB's data dir, Jaeger's config, Redis's
# process title). So `down` finds a server whose pid file was lost, and never
# signals a process another run dir (or anyone else) started.
#
# Only the package registries are used (Maven Central, the Go module proxy,
# npm, Debian apt): this runs on a fresh CI machine with Java 17, Go and Node.
set -euo pipefail

# --- configuration ----------------------------------------------------------

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${ROOMCAST_CACHE:-$HOME/.cache/roomcast}"
# Absolute and canonical: it is part of the markers that tell our processes apart.
RUN="$(realpath -m -- "${ROOMCAST_RUN:-$CACHE/run}")"

KAFKA_VERSION="${ROOMCAST_KAFKA_VERSION:-4.4.0}"
KAFKA_FALLBACK_VERSIONS="4.3.1 4.2.2 4.1.2 4.0.2"   # tried in order if $KAFKA_VERSION won't resolve
LOG4J_VERSION="2.25.3"
SLF4J_VERSION="2.0.17"
KAFKA_PORT="${ROOMCAST_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${ROOMCAST_KAFKA_CONTROLLER_PORT:-19093}"
# Any fixed 16-byte base64 id will do. It stays the same across restarts that
# keep the log dir, which must be formatted with the id the broker expects.
KAFKA_CLUSTER_ID="cm9vbWNhc3QtaW5mcmEtMQ"
KAFKA_HEAP="${ROOMCAST_KAFKA_HEAP:--Xms256m -Xmx512m}"

REDIS_PORT="${ROOMCAST_REDIS_PORT:-16379}"
FERRETDB_PORT="${ROOMCAST_FERRETDB_PORT:-27018}"

# Node packages used by the readiness probes (and by scripts/verify-kafkajs.mjs).
KAFKAJS_VERSION="2.2.4"
MONGODB_DRIVER_VERSION="7.8.0"

# The approved release. The Go module proxy serves newer tags too; they are not approved.
JAEGER_VERSION="v1.75.0"
JAEGER_QUERY_PORT="${ROOMCAST_JAEGER_QUERY_PORT:-16686}"
JAEGER_OTLP_HTTP_PORT="${ROOMCAST_JAEGER_OTLP_HTTP_PORT:-4318}"
JAEGER_OTLP_GRPC_PORT="${ROOMCAST_JAEGER_OTLP_GRPC_PORT:-4317}"
JAEGER_QUERY_GRPC_PORT="${ROOMCAST_JAEGER_QUERY_GRPC_PORT:-16685}"
JAEGER_HEALTH_PORT="${ROOMCAST_JAEGER_HEALTH_PORT:-13133}"
# In-memory store bound: traces beyond it evict the oldest (~5 KB each for a chat message).
JAEGER_MAX_TRACES=20000
READY_TIMEOUT_JAEGER=60

READY_TIMEOUT_KAFKA=90
READY_TIMEOUT_REDIS=20
READY_TIMEOUT_FERRETDB=30
# How long a component gets to exit after SIGTERM before SIGKILL, in tenths of a second.
STOP_TIMEOUT_DS=300

TOOLS_DIR="$CACHE/node-tools"
BIN_DIR="$CACHE/bin"

# Keep Maven, Go and npm downloads inside our cache: a fresh clone + cache dir is
# then fully self-contained, and wiping $ROOMCAST_CACHE really means "cold".
export GOMODCACHE="$CACHE/go/mod"
export GOCACHE="$CACHE/go/build"
M2_REPO="$CACHE/m2"
NPM_CACHE="$CACHE/npm"

# --- small helpers ----------------------------------------------------------

log()  { printf '[infra] %s\n' "$*" >&2; }
die()  { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

check_ports() {
  local name value
  for name in KAFKA_PORT KAFKA_CONTROLLER_PORT REDIS_PORT FERRETDB_PORT JAEGER_QUERY_PORT \
    JAEGER_OTLP_HTTP_PORT JAEGER_OTLP_GRPC_PORT JAEGER_QUERY_GRPC_PORT JAEGER_HEALTH_PORT; do
    value="${!name}"
    [[ "$value" =~ ^[0-9]+$ ]] && ((value >= 1 && value <= 65535)) ||
      die "ROOMCAST_$name must be a TCP port (1-65535), got '$value'"
  done
  [[ "$KAFKA_PORT" != "$KAFKA_CONTROLLER_PORT" ]] ||
    die "ROOMCAST_KAFKA_PORT and ROOMCAST_KAFKA_CONTROLLER_PORT must differ"
}

# True if something accepts TCP connections on 127.0.0.1:$1 (bash's /dev/tcp, no nc needed).
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Print the pid from pid file $1 if that process is alive AND its command line
# contains $2. The marker check guards against a recycled pid: we never signal
# a process that is not the one we started.
live_pid() {
  local pidfile="$1" marker="$2" pid
  [[ -s "$pidfile" ]] || return 1
  pid="$(tr -dc '0-9' <"$pidfile")"
  [[ -n "$pid" ]] && pid_running "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker" || return 1
  echo "$pid"
}

# True while process $1 runs. A zombie counts as gone: our daemons are
# reparented to PID 1, and in containers PID 1 often never reaps them.
pid_running() {
  [[ -d "/proc/$1" ]] && [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]]
}

any_running() {
  local pid
  for pid in "$@"; do pid_running "$pid" && return 0; done
  return 1
}

# True if process $1 has an argument exactly equal to $2 (not a substring:
# /b/a/run must not match /a/run).
argv_has() {
  local -a args
  local arg
  { mapfile -d '' -t args <"/proc/$1/cmdline"; } 2>/dev/null || return 1
  for arg in "${args[@]}"; do [[ "$arg" == "$2" ]] && return 0; done
  return 1
}

# --- components -------------------------------------------------------------
# Each component has: <c>_prepare (installs, under the cache lock),
# <c>_start KEEP (under the component's lock), <c>_owns PID, and the globals
# comp_info sets. Names: kafka, redis, ferretdb (alias mongo), jaeger.

DEFAULT_COMPONENTS=(redis ferretdb kafka)
ALL_COMPONENTS=(jaeger kafka ferretdb redis)   # stop order

# Sets C_PIDFILE, C_MARKER (pid-file check) and C_COMM (/proc/PID/comm, which
# the kernel cuts to 15 characters) for component $1.
comp_info() {
  case "$1" in
    kafka)    C_PIDFILE="$KAFKA_PID";    C_MARKER="$KAFKA_MARKER";    C_COMM="java" ;;
    redis)    C_PIDFILE="$REDIS_PID";    C_MARKER="$REDIS_MARKER";    C_COMM="redis-server" ;;
    ferretdb) C_PIDFILE="$FERRETDB_PID"; C_MARKER="$FERRETDB_MARKER"; C_COMM="${FERRETDB_MARKER:0:15}" ;;
    # Any pinned version's binary (jaeger-vX.Y.Z), so `down` also finds one an older pin started.
    jaeger)   C_PIDFILE="$JAEGER_PID";   C_MARKER="$JAEGER_MARKER";   C_COMM="jaeger-v*" ;;
    *) die "unknown component '$1'" ;;
  esac
}

# Pids (one per line) of the live processes of component $1 that are ours: the
# pid file's, then any other whose command line names this run dir (see the
# header). Finds a server whose pid file is gone, e.g. after an interrupted
# start or a deleted run dir.
our_pids() {
  local comp="$1" pid comm dir seen=" "
  comp_info "$comp"
  if pid="$(live_pid "$C_PIDFILE" "$C_MARKER")"; then
    echo "$pid"
    seen+="$pid "
  fi
  for dir in /proc/[0-9]*; do
    pid="${dir#/proc/}"
    [[ "$seen" == *" $pid "* || "$pid" == "$$" ]] && continue
    { read -r comm <"$dir/comm"; } 2>/dev/null || continue
    # shellcheck disable=SC2053  # C_COMM may be a glob (jaeger-v*)
    [[ "$comm" == $C_COMM ]] || continue
    pid_running "$pid" && "${comp}_owns" "$pid" && echo "$pid"
  done
  return 0
}

# stop_component NAME: SIGTERM to every process of ours, wait, then SIGKILL.
stop_component() {
  local comp="$1" i
  local -a pids
  mapfile -t pids < <(our_pids "$comp")
  comp_info "$comp"
  if ((${#pids[@]})); then
    log "stopping $comp (pid ${pids[*]})"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    for ((i = 0; i < STOP_TIMEOUT_DS; i++)); do
      any_running "${pids[@]}" || break
      sleep 0.1
    done
    if any_running "${pids[@]}"; then
      log "$comp did not stop in $((STOP_TIMEOUT_DS / 10))s; sending SIGKILL"
      kill_pids "${pids[@]}"
    fi
  fi
  rm -f "$C_PIDFILE"
}

# kill_component NAME: SIGKILL, as a crash would; the data stays for `restart`.
kill_component() {
  local comp="$1"
  local -a pids
  mapfile -t pids < <(our_pids "$comp")
  comp_info "$comp"
  if ((${#pids[@]})); then
    log "killing $comp (SIGKILL pid ${pids[*]})"
    kill_pids "${pids[@]}"
  else
    log "$comp is not running"
  fi
  rm -f "$C_PIDFILE"
}

# SIGKILL and wait until the processes are gone (their ports are then free).
kill_pids() {
  local i
  kill -KILL "$@" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    any_running "$@" || return 0
    sleep 0.1
  done
  die "pid $* still running 10s after SIGKILL"
}

# already_up NAME PROBE...: true if a process of ours runs and answers PROBE
# (the pid file then names it, even if it had been lost).
already_up() {
  local comp="$1"
  shift
  local -a pids
  mapfile -t pids < <(our_pids "$comp")
  comp_info "$comp"
  ((${#pids[@]})) && "$@" >/dev/null 2>&1 || return 1
  mkdir -p "$(dirname "$C_PIDFILE")"
  echo "${pids[0]}" >"$C_PIDFILE"
}

# Refuse to start if a foreign process (not ours: another run dir, or not
# infra.sh at all) already holds the port: our probes would otherwise talk to it.
require_free_port() {
  local name="$1" port="$2"
  if port_open "$port"; then
    die "$name: port 127.0.0.1:$port is already in use by a process this run dir ($RUN) did not start (see: ss -ltnp 'sport = :$port')"
  fi
}

# Print the last lines of every log in run dir $1 (on failure).
tail_logs() {
  local f
  for f in "$1"/*.log "$1"/*.out; do
    [[ -s "$f" ]] || continue
    printf -- '----- last lines of %s -----\n' "$f" >&2
    tail -n 30 "$f" >&2
  done
}

# wait_ready NAME TIMEOUT RUNDIR PIDFILE MARKER CMD...: poll CMD once a second
# until it succeeds; fail fast if the process dies, show its logs on failure.
wait_ready() {
  await_ready "$@" || die "$1 failed to start"
}

# wait_ready without dying: 0 ready, 1 exited during startup (logs shown), dies on a timeout.
await_ready() {
  local name="$1" timeout="$2" rundir="$3" pidfile="$4" marker="$5"
  shift 5
  local start=$SECONDS
  while ((SECONDS - start < timeout)); do
    if ! live_pid "$pidfile" "$marker" >/dev/null; then
      log "$name exited during startup"
      tail_logs "$rundir"
      return 1
    fi
    if "$@" >/dev/null 2>&1; then
      log "$name ready in $((SECONDS - start))s"
      return 0
    fi
    sleep 1
  done
  log "$name not ready after ${timeout}s"
  tail_logs "$rundir"
  die "$name readiness timed out"
}

# Start a long-running server detached from our session (setsid) so it
# survives the calling shell/CI step, with its pid in $pidfile.
spawn() {
  local pidfile="$1" outfile="$2"
  shift 2
  # 8>&- 9>&-: do not let the daemon inherit our lock fds (it would hold the locks forever).
  setsid nohup "$@" >"$outfile" 2>&1 </dev/null 8>&- 9>&- &
  local pid=$! i
  echo "$pid" >"$pidfile"
  # Until setsid/nohup have exec'd the program, /proc/$pid/cmdline is still
  # this shell's; wait for it so live_pid's marker check sees the real thing.
  for ((i = 0; i < 50; i++)); do
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$1" && return 0
    pid_running "$pid" || return 0   # exited already: wait_ready reports it
    sleep 0.1
  done
}

# apt-get install a Debian package if command $1 is missing.
ensure_apt() {
  local cmd="$1" pkg="$2" sudo=""
  have "$cmd" && return 0
  have apt-get || die "$cmd is missing and apt-get is not available; install $pkg"
  if [[ $EUID -ne 0 ]]; then
    have sudo || die "$cmd is missing; need root (or sudo) to apt-get install $pkg"
    sudo="sudo"
  fi
  log "installing $pkg with apt-get"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
  have "$cmd" || die "apt-get install $pkg did not provide $cmd"
}

# sha256 of the given files (concatenated); used to detect source changes.
hash_files() { cat "$@" | sha256sum | cut -d' ' -f1; }

# --- node tools (readiness probes + verify-kafkajs) -------------------------

# Installs kafkajs and the mongodb driver into $TOOLS_DIR (not into the repo:
# the repo's own package manager setup is none of infra.sh's business) and
# writes the probe script. Reinstalls only when the pinned versions change.
ensure_node_tools() {
  have node || die "node is required"
  have npm || die "npm is required"
  local want="kafkajs@$KAFKAJS_VERSION mongodb@$MONGODB_DRIVER_VERSION"
  mkdir -p "$TOOLS_DIR"
  if [[ "$(cat "$TOOLS_DIR/.installed" 2>/dev/null)" != "$want" ]]; then
    log "installing node tools ($want) into $TOOLS_DIR"
    printf '{"name":"roomcast-infra-tools","private":true}\n' >"$TOOLS_DIR/package.json"
    rm -rf "$TOOLS_DIR/node_modules" "$TOOLS_DIR/package-lock.json"
    # shellcheck disable=SC2086
    (cd "$TOOLS_DIR" && npm install --silent --no-audit --no-fund --save-exact \
      --cache "$NPM_CACHE" $want) || die "npm install of $want failed"
    echo "$want" >"$TOOLS_DIR/.installed"
  fi
  write_probe
}

# probe.cjs kafka|mongo ADDRESS: one real protocol round trip, exit 0 on success.
write_probe() {
  cat >"$TOOLS_DIR/probe.cjs" <<'EOF'
// Written by scripts/infra.sh. One real protocol round trip per call.
'use strict';
const [kind, addr] = process.argv.slice(2);
const fail = (e) => { console.error(`${kind} probe failed: ${e && e.message || e}`); process.exit(1); };
setTimeout(() => fail('timeout'), 8000).unref();
(async () => {
  if (kind === 'kafka') {
    const { Kafka, logLevel } = require('./node_modules/kafkajs');
    const admin = new Kafka({
      clientId: 'roomcast-infra-probe', brokers: [addr], logLevel: logLevel.NOTHING,
      connectionTimeout: 2000, requestTimeout: 4000, retry: { retries: 0 },
    }).admin();
    await admin.connect();
    try {
      await admin.listTopics();           // Metadata request/response
      const c = await admin.describeCluster();
      if (!c.brokers.length || c.controller == null) throw new Error('no brokers/controller in metadata');
    } finally { await admin.disconnect(); }
  } else if (kind === 'mongo') {
    const { MongoClient } = require('./node_modules/mongodb');
    const client = new MongoClient(addr, { serverSelectionTimeoutMS: 3000, connectTimeoutMS: 2000 });
    try {
      const r = await client.db('admin').command({ ping: 1 });
      if (r.ok !== 1) throw new Error(`ping returned ${JSON.stringify(r)}`);
    } finally { await client.close(); }
  } else {
    throw new Error(`unknown probe kind ${kind}`);
  }
  process.exit(0);
})().catch(fail);
EOF
}

probe_kafka() { node "$TOOLS_DIR/probe.cjs" kafka "127.0.0.1:$KAFKA_PORT"; }
probe_mongo() { node "$TOOLS_DIR/probe.cjs" mongo "mongodb://127.0.0.1:$FERRETDB_PORT/"; }
probe_redis() { [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; }

# --- Kafka ------------------------------------------------------------------

KAFKA_RUN="$RUN/kafka"
KAFKA_PID="$KAFKA_RUN/kafka.pid"
KAFKA_MARKER="kafka.Kafka"
KAFKA_LIB=""   # set by ensure_kafka_jars

# Resolve the broker jars from Maven Central with a generated pom (no Kafka
# tarball: only registries are reachable). A ".complete" marker makes the
# cached lib dir reusable only if the copy finished.
resolve_kafka_version() {
  local version="$1" dir="$CACHE/kafka/$1"
  [[ -f "$dir/.complete" ]] && { KAFKA_LIB="$dir/lib"; return 0; }
  log "resolving Kafka $version jars from Maven Central into $dir/lib"
  rm -rf "$dir"
  mkdir -p "$dir"
  # slf4j-api 2.x is pinned explicitly: Kafka's pom still pulls 1.7.x, which
  # cannot see log4j-slf4j2-impl, and logging would silently go nowhere.
  cat >"$dir/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>roomcast.infra</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>$SLF4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
  </dependencies>
</project>
EOF
  if ! mvn -B -q -f "$dir/pom.xml" -Dmaven.repo.local="$M2_REPO" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dir/lib" \
      >"$dir/mvn.log" 2>&1; then
    log "Maven could not resolve Kafka $version (see $dir/mvn.log)"
    return 1
  fi
  touch "$dir/.complete"
  KAFKA_LIB="$dir/lib"
}

ensure_kafka_jars() {
  have java || die "java (17+) is required for Kafka"
  ensure_apt mvn maven
  local v
  for v in "$KAFKA_VERSION" $KAFKA_FALLBACK_VERSIONS; do
    resolve_kafka_version "$v" && { KAFKA_RESOLVED="$v"; return 0; }
  done
  die "could not resolve any Kafka 4.x from Maven Central"
}

write_kafka_config() {
  cat >"$KAFKA_RUN/server.properties" <<EOF
# Written by scripts/infra.sh: single-node KRaft broker+controller for tests.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_RUN/data

# One broker: every internal topic must have replication factor 1.
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Fewer internal partitions than the default 50: faster first group/txn use.
offsets.topic.num.partitions=8
transaction.state.log.num.partitions=8

auto.create.topics.enable=true
num.partitions=4
# Tests should not wait 3s for the first consumer-group rebalance.
group.initial.rebalance.delay.ms=0
EOF
  # Kafka 4.x logs through log4j2; keep it quiet and in a file.
  cat >"$KAFKA_RUN/log4j2.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="warn">
  <Appenders>
    <File name="file" fileName="$KAFKA_RUN/kafka.log">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </File>
  </Appenders>
  <Loggers>
    <Root level="warn"><AppenderRef ref="file"/></Root>
    <!-- one INFO line when the broker has started, useful in the log tail -->
    <Logger name="kafka.server.KafkaRaftServer" level="info"/>
  </Loggers>
</Configuration>
EOF
}

# The broker JVM command line as an array (not a shell function: it is exec'd
# by setsid/nohup, which can only run real programs).
# $1: heap options (the broker gets $KAFKA_HEAP, the one-shot format tool a fixed heap).
kafka_java_cmd() {
  # shellcheck disable=SC2206
  KAFKA_JAVA=(java $1 -XX:+UseG1GC -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$KAFKA_RUN/log4j2.xml"
    -Dkafka.logs.dir="$KAFKA_RUN"
    -cp "$KAFKA_LIB/*")
}

kafka_owns() { argv_has "$1" "$KAFKA_RUN/server.properties"; }

kafka_prepare() {
  ensure_node_tools
  ensure_kafka_jars
}

# kafka_start KEEP: KEEP=1 reuses a formatted log dir (topics, committed offsets,
# the KRaft metadata log), as after a broker restart; otherwise starts clean.
kafka_start() {
  local keep="$1"
  if already_up kafka probe_kafka; then
    log "kafka already up on 127.0.0.1:$KAFKA_PORT"
    return 0
  fi
  stop_component kafka
  require_free_port kafka "$KAFKA_PORT"
  require_free_port kafka-controller "$KAFKA_CONTROLLER_PORT"
  if [[ "$keep" == 1 && -f "$KAFKA_RUN/data/meta.properties" ]]; then
    log "starting kafka on 127.0.0.1:$KAFKA_PORT (controller :$KAFKA_CONTROLLER_PORT), keeping its data"
    write_kafka_config
  else
    rm -rf "$KAFKA_RUN"
    mkdir -p "$KAFKA_RUN/data"
    write_kafka_config
    log "formatting KRaft storage (Kafka $KAFKA_RESOLVED)"
    # --standalone: a single-node dynamic controller quorum (4.x replacement for
    # a static controller.quorum.voters list).
    kafka_java_cmd "-Xmx256m"
    "${KAFKA_JAVA[@]}" kafka.tools.StorageTool format --standalone \
      -t "$KAFKA_CLUSTER_ID" -c "$KAFKA_RUN/server.properties" \
      >"$KAFKA_RUN/format.log" 2>&1 8>&- 9>&- || { cat "$KAFKA_RUN/format.log" >&2; die "kafka storage format failed"; }
    log "starting kafka on 127.0.0.1:$KAFKA_PORT (controller :$KAFKA_CONTROLLER_PORT)"
  fi
  touch "$KAFKA_RUN/kafka.log"
  kafka_java_cmd "$KAFKA_HEAP"
  # JVM stdout/stderr (crashes, OOM, class path trouble) go to kafka.out,
  # the broker's own log4j2 output to kafka.log (appended across restarts).
  spawn "$KAFKA_PID" "$KAFKA_RUN/kafka.out" "${KAFKA_JAVA[@]}" kafka.Kafka "$KAFKA_RUN/server.properties"
  wait_ready kafka "$READY_TIMEOUT_KAFKA" "$KAFKA_RUN" "$KAFKA_PID" "$KAFKA_MARKER" probe_kafka
}

# --- Redis ------------------------------------------------------------------

REDIS_RUN="$RUN/redis"
REDIS_PID="$REDIS_RUN/redis.pid"
# What an instance started by an older infra.sh shows as its process title too.
REDIS_MARKER="redis-server 127.0.0.1:$REDIS_PORT"
# Appended to the process title (proc-title-template): names the run dir.
REDIS_TAG="roomcast-infra:$REDIS_RUN"

# Redis rewrites its argv into a title, so the run dir is found there, or as
# its working directory (--dir), for an instance started before the title tag.
redis_owns() {
  local -a args
  local cwd
  { mapfile -d '' -t args <"/proc/$1/cmdline"; } 2>/dev/null || return 1
  [[ "${args[0]:-}" == *" $REDIS_TAG" ]] && return 0
  cwd="$(readlink "/proc/$1/cwd" 2>/dev/null)" || return 1
  [[ "$cwd" == "$REDIS_RUN" || "$cwd" == "$REDIS_RUN (deleted)" ]]
}

redis_prepare() {
  ensure_apt redis-server redis-server
  ensure_apt redis-cli redis-tools
}

# redis_start KEEP: KEEP=1 keeps the run dir, so the append-only file is replayed.
redis_start() {
  local keep="$1"
  if already_up redis probe_redis; then
    log "redis already up on 127.0.0.1:$REDIS_PORT"
    return 0
  fi
  stop_component redis
  require_free_port redis "$REDIS_PORT"
  if [[ "$keep" == 1 ]]; then
    mkdir -p "$REDIS_RUN"
    log "starting redis on 127.0.0.1:$REDIS_PORT, keeping its data"
  else
    rm -rf "$REDIS_RUN"
    mkdir -p "$REDIS_RUN"
    log "starting redis on 127.0.0.1:$REDIS_PORT"
  fi
  # Our own instance, not Debian's system service: own port, everything under
  # $REDIS_RUN. It daemonizes itself and writes the pid file.
  #
  # AOF with appendfsync always, as production must run it (docs/architecture.md):
  # the room seq counters (packages/sequencer, INCR in a Lua script) must never
  # hand out a number twice, and the filter publishes a seq as soon as Redis
  # replied. Without AOF a restart forgets every counter. With `everysec` the
  # last second of INCRs may be in the page cache only: a killed process loses
  # nothing, but a host that goes down (power, kernel, VM) loses them, and the
  # counter then counts those seqs again. `always` fsyncs before the reply;
  # measured here (redis-benchmark INCR): one client 0.03 -> 0.3 ms, 50 clients
  # 41k -> 26k ops/s. The sequencer writes once per Kafka batch, so this costs
  # per batch, not per message. No RDB snapshots: the AOF is the only copy
  # (aof-use-rdb-preamble keeps its rewrites compact).
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' \
    --appendonly yes --appendfsync always \
    --proc-title-template "{title} {listen-addr} $REDIS_TAG" \
    --daemonize yes --pidfile "$REDIS_PID" --logfile "$REDIS_RUN/redis.log" \
    --dir "$REDIS_RUN" --loglevel warning 8>&- 9>&-
  # The pid file appears shortly after the fork.
  local i
  for ((i = 0; i < 50; i++)); do [[ -s "$REDIS_PID" ]] && break; sleep 0.1; done
  wait_ready redis "$READY_TIMEOUT_REDIS" "$REDIS_RUN" "$REDIS_PID" "$REDIS_MARKER" probe_redis
}

# --- FerretDB (MongoDB wire protocol over SQLite) ---------------------------

FERRETDB_SRC="$SCRIPT_DIR/ferretdb"
FERRETDB_BIN="$BIN_DIR/roomcast-ferretdb"
FERRETDB_RUN="$RUN/ferretdb"
FERRETDB_PID="$FERRETDB_RUN/ferretdb.pid"
FERRETDB_MARKER="roomcast-ferretdb"

# Build scripts/ferretdb (our own main around FerretDB's embeddable package;
# see the comment in main.go for why) into the cache. Rebuild only when its
# sources change, tracked by a hash stored next to the binary.
ferretdb_src_hash() { hash_files "$FERRETDB_SRC/go.mod" "$FERRETDB_SRC/go.sum" "$FERRETDB_SRC/main.go"; }
ferretdb_bin_fresh() {
  [[ -x "$FERRETDB_BIN" && "$(cat "$FERRETDB_BIN.hash" 2>/dev/null)" == "$(ferretdb_src_hash)" ]]
}

ensure_ferretdb_bin() {
  have go || die "go is required to build FerretDB"
  ferretdb_bin_fresh && return 0
  log "building FerretDB into $FERRETDB_BIN (first time takes ~1-2 min)"
  mkdir -p "$BIN_DIR"
  # -mod=readonly: go.sum is committed, so the build is reproducible and never
  # edits the tree. CGO off: the SQLite driver is pure Go (modernc.org/sqlite).
  if ! (cd "$FERRETDB_SRC" && CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" \
      go build -trimpath -o "$FERRETDB_BIN.tmp" .) >"$BIN_DIR/ferretdb-build.log" 2>&1; then
    tail -n 30 "$BIN_DIR/ferretdb-build.log" >&2
    die "FerretDB build failed (full log: $BIN_DIR/ferretdb-build.log)"
  fi
  mv "$FERRETDB_BIN.tmp" "$FERRETDB_BIN"
  ferretdb_src_hash >"$FERRETDB_BIN.hash"
}


ferretdb_owns() { argv_has "$1" "$FERRETDB_RUN/data"; }

ferretdb_prepare() {
  ensure_node_tools
  ensure_ferretdb_bin
}

# ferretdb_start KEEP: KEEP=1 keeps the SQLite files (the databases).
ferretdb_start() {
  local keep="$1"
  # A running instance is kept unless it runs an older build: a rebuild
  # replaces the binary, and /proc/PID/exe then says "(deleted)".
  if already_up ferretdb probe_mongo; then
    if [[ "$(readlink "/proc/$(cat "$FERRETDB_PID")/exe" 2>/dev/null)" == "$FERRETDB_BIN" ]]; then
      log "ferretdb already up on 127.0.0.1:$FERRETDB_PORT"
      return 0
    fi
    log "ferretdb runs an older build of scripts/ferretdb; restarting it"
  fi
  stop_component ferretdb
  require_free_port ferretdb "$FERRETDB_PORT"
  # One retry: a fresh-clone CI run once saw FerretDB exit at start with an empty log (not reproduced).
  local attempt
  for attempt in 1 2; do
    if [[ "$keep" == 1 ]]; then
      mkdir -p "$FERRETDB_RUN/data"
      log "starting ferretdb on 127.0.0.1:$FERRETDB_PORT, keeping its data"
    else
      rm -rf "$FERRETDB_RUN"
      mkdir -p "$FERRETDB_RUN/data"
      log "starting ferretdb on 127.0.0.1:$FERRETDB_PORT"
    fi
    spawn "$FERRETDB_PID" "$FERRETDB_RUN/ferretdb.log" \
      "$FERRETDB_BIN" -listen "127.0.0.1:$FERRETDB_PORT" -data "$FERRETDB_RUN/data" -log-level warn
    await_ready ferretdb "$READY_TIMEOUT_FERRETDB" "$FERRETDB_RUN" "$FERRETDB_PID" "$FERRETDB_MARKER" probe_mongo && return 0
    stop_component ferretdb
    require_free_port ferretdb "$FERRETDB_PORT"
    ((attempt == 1)) && log "ferretdb: starting it once more"
  done
  die "ferretdb failed to start"
}

# --- Jaeger (only when named, e.g. `up all jaeger`) ---------------------------

JAEGER_MODULE="github.com/jaegertracing/jaeger"
JAEGER_BIN="$BIN_DIR/jaeger-$JAEGER_VERSION"
JAEGER_RUN="$RUN/jaeger"
JAEGER_PID="$JAEGER_RUN/jaeger.pid"
JAEGER_MARKER="jaeger-$JAEGER_VERSION"

# The binary is stamped with the module version it was built from (`jaeger version` prints it);
# one without the stamp, or with another, is rebuilt (the Go build cache makes that a relink).
jaeger_bin_fresh() {
  [[ -x "$JAEGER_BIN" ]] && "$JAEGER_BIN" version 2>/dev/null | grep -qF "\"gitVersion\":\"$JAEGER_VERSION\""
}

# Why not `go install .../cmd/jaeger@version`: Jaeger's go.mod has a replace
# directive, which `go install pkg@version` refuses. So we download the module
# and build inside it, where it is the main module and the replace applies.
# A cold build (module downloads + compile) took 6 min on the 2-core CI box;
# the binary and the Go caches stay under $CACHE, so later runs skip it.
ensure_jaeger_bin() {
  have go || die "go is required to build Jaeger"
  jaeger_bin_fresh && return 0
  log "building Jaeger $JAEGER_VERSION into $JAEGER_BIN (first time takes ~6 min)"
  mkdir -p "$BIN_DIR"
  local src tmp="$JAEGER_BIN.tmp.$$"
  src="$(cd "$CACHE" && go mod download -json "$JAEGER_MODULE@$JAEGER_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -n "$src" && -d "$src" ]] || die "could not download $JAEGER_MODULE@$JAEGER_VERSION"
  if ! (cd "$src" && CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" \
      go build -trimpath -o "$tmp" \
        -ldflags "-X $JAEGER_MODULE/internal/version.latestVersion=$JAEGER_VERSION" \
        ./cmd/jaeger) >"$BIN_DIR/jaeger-build.log" 2>&1; then
    rm -f "$tmp"
    tail -n 30 "$BIN_DIR/jaeger-build.log" >&2
    die "Jaeger build failed (full log: $BIN_DIR/jaeger-build.log)"
  fi
  mv "$tmp" "$JAEGER_BIN"
  jaeger_bin_fresh || die "$JAEGER_BIN does not report version $JAEGER_VERSION"
}

jaeger_owns() { argv_has "$1" "$JAEGER_RUN/config.yaml"; }

# The build takes minutes: cmd_up runs it before taking any lock (it is race-safe).
jaeger_prepare() { :; }

# Jaeger keeps its traces in memory: every start is clean.
jaeger_start() {
  if already_up jaeger probe_jaeger; then
    # A pin change replaces the binary: an instance of another version is restarted.
    if [[ "$(readlink "/proc/$(cat "$JAEGER_PID")/exe" 2>/dev/null)" == "$JAEGER_BIN" ]]; then
      log "jaeger already up (query http://127.0.0.1:$JAEGER_QUERY_PORT, OTLP :$JAEGER_OTLP_HTTP_PORT)"
      return 0
    fi
    log "jaeger runs another build than $JAEGER_BIN; restarting it"
  fi
  stop_component jaeger
  local port
  for port in "$JAEGER_QUERY_PORT" "$JAEGER_OTLP_HTTP_PORT" "$JAEGER_OTLP_GRPC_PORT" \
    "$JAEGER_QUERY_GRPC_PORT" "$JAEGER_HEALTH_PORT"; do
    require_free_port jaeger "$port"
  done
  rm -rf "$JAEGER_RUN"
  mkdir -p "$JAEGER_RUN"
  write_jaeger_config
  log "starting jaeger $JAEGER_VERSION (in-memory): UI/query http://127.0.0.1:$JAEGER_QUERY_PORT, OTLP http :$JAEGER_OTLP_HTTP_PORT / grpc :$JAEGER_OTLP_GRPC_PORT"
  spawn "$JAEGER_PID" "$JAEGER_RUN/jaeger.log" "$JAEGER_BIN" --config "$JAEGER_RUN/config.yaml"
  wait_ready jaeger "$READY_TIMEOUT_JAEGER" "$JAEGER_RUN" "$JAEGER_PID" "$JAEGER_MARKER" probe_jaeger
}

# Our own config rather than the built-in all-in-one one: that binds the query
# UI/API to all interfaces and opens a dozen receivers we do not need. This
# keeps everything on loopback: OTLP in, in-memory storage, UI/API, health.
write_jaeger_config() {
  cat >"$JAEGER_RUN/config.yaml" <<EOF
service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    logs:
      level: warn
    metrics:
      level: none
extensions:
  healthcheckv2:
    use_v2: true
    http:
      endpoint: 127.0.0.1:$JAEGER_HEALTH_PORT
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:$JAEGER_QUERY_PORT
    grpc:
      endpoint: 127.0.0.1:$JAEGER_QUERY_GRPC_PORT
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: $JAEGER_MAX_TRACES
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:$JAEGER_OTLP_GRPC_PORT
      http:
        endpoint: 127.0.0.1:$JAEGER_OTLP_HTTP_PORT
processors:
  batch:
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
EOF
}

# healthcheckv2 extension (see the config above): 200 once all pipelines are up;
# then one round trip of the query API (what the tests and roomcast-trace use).
probe_jaeger() {
  port_open "$JAEGER_OTLP_HTTP_PORT" && node -e "
    const get = (u) => fetch(u).then((r) => { if (!r.ok) throw new Error(u + ' ' + r.status); });
    get('http://127.0.0.1:$JAEGER_HEALTH_PORT/status')
      .then(() => get('http://127.0.0.1:$JAEGER_QUERY_PORT/api/services'))
      .then(() => process.exit(0), () => process.exit(1))"
}

# --- commands ---------------------------------------------------------------

# Installs and builds share the cache: one at a time across every run dir and
# checkout on this machine (fd 8, released before anything starts).
cache_lock() {
  mkdir -p "$CACHE"
  exec 8>"$CACHE/.infra.lock"
  flock -w 600 8 || die "timed out waiting for another infra.sh (lock $CACHE/.infra.lock)"
}
cache_unlock() { exec 8>&-; }

# Starting and stopping: one lock per component of a run dir (fd 9), so a
# `kill redis` during someone's `restart kafka` does not wait for Kafka.
comp_lock() {
  mkdir -p "$RUN/.locks"
  exec 9>"$RUN/.locks/$1.lock"
  flock -w 600 9 || die "timed out waiting for another infra.sh on $1 (lock $RUN/.locks/$1.lock)"
}
comp_unlock() { exec 9>&-; }

# Normalises component names into COMPONENTS (in the order given, no repeats);
# no names = the defaults. `all` = kafka, redis, mongo.
parse_components() {
  local name c
  COMPONENTS=()
  (($#)) || set -- "${DEFAULT_COMPONENTS[@]}"
  for name in "$@"; do
    case "$name" in
      all) set -- "${DEFAULT_COMPONENTS[@]}" ;;
      kafka | redis | jaeger) set -- "$name" ;;
      mongo | ferretdb) set -- ferretdb ;;
      *) die "unknown component '$name' (kafka, redis, mongo, jaeger, all)" ;;
    esac
    for c in "$@"; do
      [[ " ${COMPONENTS[*]} " == *" $c "* ]] || COMPONENTS+=("$c")
    done
  done
}

# Installs for COMPONENTS under the cache lock; Jaeger's long build before it.
prepare_components() {
  local c
  [[ " ${COMPONENTS[*]} " == *" jaeger "* ]] && ensure_jaeger_bin
  cache_lock
  for c in "${COMPONENTS[@]}"; do "${c}_prepare"; done
  cache_unlock
  mkdir -p "$RUN"
}

cmd_up() {
  local keep=0
  if [[ "${1:-}" == --keep-data ]]; then
    keep=1
    shift
  fi
  parse_components "$@"
  prepare_components
  local c
  for c in "${COMPONENTS[@]}"; do
    comp_lock "$c"
    "${c}_start" "$keep"
    comp_unlock
  done
  log "up: ${COMPONENTS[*]}; use: eval \"\$($0 env)\""
}

cmd_restart() {
  (($#)) || die "restart: name the components (kafka, redis, mongo, jaeger, all)"
  parse_components "$@"
  prepare_components
  local c
  for c in "${COMPONENTS[@]}"; do
    comp_lock "$c"
    stop_component "$c"
    "${c}_start" 1
    comp_unlock
  done
}

cmd_kill() {
  (($#)) || die "kill: name the components (kafka, redis, mongo, jaeger, all)"
  parse_components "$@"
  local c
  for c in "${COMPONENTS[@]}"; do
    comp_lock "$c"
    kill_component "$c"
    comp_unlock
  done
}

cmd_down() {
  local c
  if (($#)); then parse_components "$@"; else COMPONENTS=("${ALL_COMPONENTS[@]}"); fi
  for c in "${COMPONENTS[@]}"; do
    comp_lock "$c"
    stop_component "$c"
    comp_unlock
  done
  log "down: ${COMPONENTS[*]}"
}

cmd_status() {
  local rc=0 c
  # Jaeger is optional: only reported when named or running.
  if (($#)); then
    parse_components "$@"
  else
    COMPONENTS=(kafka redis ferretdb)
    [[ -n "$(our_pids jaeger)" ]] && COMPONENTS+=(jaeger)
  fi
  if ! have node || [[ ! -f "$TOOLS_DIR/probe.cjs" ]]; then
    echo "(node probe tools not installed yet: run $0 up)"
  fi
  for c in "${COMPONENTS[@]}"; do status_line "$c" || rc=1; done
  return "$rc"
}

status_line() {
  local comp="$1" probe
  local -a pids
  case "$comp" in
    kafka) probe=probe_kafka ;;
    redis) probe=probe_redis ;;
    ferretdb) probe=probe_mongo ;;
    jaeger) probe=probe_jaeger ;;
  esac
  mapfile -t pids < <(our_pids "$comp")
  if ((${#pids[@]} == 0)); then
    printf '%-9s down\n' "$comp"
    return 1
  elif "$probe" >/dev/null 2>&1; then
    printf '%-9s up    (pid %s)\n' "$comp" "${pids[*]}"
  else
    printf '%-9s down  (pid %s alive but not answering)\n' "$comp" "${pids[*]}"
    return 1
  fi
}

# Service variables for this instance, and the ROOMCAST_* ones that name it, so
# later infra.sh calls in the same shell act on the same instance.
cmd_env() {
  cat <<EOT
export KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
export REDIS_URL=redis://127.0.0.1:$REDIS_PORT
export MONGO_URL=mongodb://127.0.0.1:$FERRETDB_PORT
export ROOMCAST_NODE_TOOLS=$TOOLS_DIR
export ROOMCAST_RUN=$RUN
export ROOMCAST_KAFKA_PORT=$KAFKA_PORT
export ROOMCAST_KAFKA_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT
export ROOMCAST_REDIS_PORT=$REDIS_PORT
export ROOMCAST_FERRETDB_PORT=$FERRETDB_PORT
export JAEGER_QUERY_URL=http://127.0.0.1:$JAEGER_QUERY_PORT
export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$JAEGER_OTLP_HTTP_PORT
export ROOMCAST_JAEGER_QUERY_PORT=$JAEGER_QUERY_PORT
export ROOMCAST_JAEGER_OTLP_HTTP_PORT=$JAEGER_OTLP_HTTP_PORT
export ROOMCAST_JAEGER_OTLP_GRPC_PORT=$JAEGER_OTLP_GRPC_PORT
export ROOMCAST_JAEGER_QUERY_GRPC_PORT=$JAEGER_QUERY_GRPC_PORT
export ROOMCAST_JAEGER_HEALTH_PORT=$JAEGER_HEALTH_PORT
EOT
}

usage() {
  sed -n '2,/^# Everything downloaded/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit 2
}

main() {
  check_ports
  local cmd="${1:-}"
  (($#)) && shift
  case "$cmd" in
    up)      cmd_up "$@" ;;
    restart) cmd_restart "$@" ;;
    kill)    cmd_kill "$@" ;;
    down)    cmd_down "$@" ;;
    status)  cmd_status "$@" ;;
    env)     cmd_env ;;
    *)       usage ;;
  esac
}

main "$@"
