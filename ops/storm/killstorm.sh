#!/usr/bin/env bash
# Kill storm: a coordinator and N nodes on loopback with the tiny-lm seed, killed with SIGKILL at
# random while they work, then checked for lost, duplicated or corrupted data. See docs/storm.md.
#
#   ops/storm/killstorm.sh [--minutes M] [--nodes N] [--coordinator-kills K] [--store ADDRESS] [--dir DIR]
#                          [--node-kill-seconds MIN-MAX] [--drain-seconds S] [--no-crash-load]
#                          [--coordinators C] [--coordinator-kills-at-once K]
#
# --node-kill-seconds: each node is killed after a random MIN to MAX seconds; give MIN more than a job
# takes on this machine, or no job finishes and the storm checks no delivery (it fails so).
# Sized to the machine: what is not given follows its load per core L (the 5-minute load average over
# the cores, 1 to 15): --node-kill-seconds 20L-max(60,28L), --drain-seconds max(90, MIN), --minutes
# max(5, 1.7 MAX / 60), so 20-60, 90 s and 5 min when idle, 300-420, 300 s and 12 min at 30 on 2 cores.
# --store: empty (SQLite in the coordinator's data directory, the default) or a postgresql:// address;
# use a schema of its own (?schema=storm_...) so earlier runs do not count. --coordinators 2 (with a
# postgresql:// store only) runs two coordinator processes on that one store, each with its nodes
# (node i uses coordinator ((i-1) mod C)+1); the coordinator kills take them in turn (kill k hits
# coordinator ((k-1) mod C)+1, each at its own moment), and --coordinator-kills-at-once K (1 with two or
# more coordinators, else 0) adds K moments at which every coordinator is killed at once (no
# coordinator answers until they restart).
# After the storm, unless --no-crash-load, the coordinator is also killed 4 times under claim/result load from 8 clients
# (dev.rhizome.ops.storm.CoordinatorCrash). A progress line every 30 s on standard error; the last line
# of standard output is a JSON summary (also in DIR/summary.json). Exit status 0 when every check
# passed, 1 when one failed (the summary's "failures" say which), 2 on bad usage.
set -u -o pipefail
# bash reads a script as it runs: run a copy, so editing this file during a storm changes nothing
if [ -z "${KILLSTORM_ROOT:-}" ]; then
  copy="$(mktemp /tmp/killstorm.XXXXXX.sh)"
  cp "$0" "$copy"
  KILLSTORM_ROOT="$(cd "$(dirname "$0")/../.." && pwd)" exec bash "$copy" "$@"
fi
rm -f "$0"  # the copy: bash keeps it open

MINUTES=""
NODES=3
COORDINATOR_KILLS=3
STORE=""
DIR=""
NODE_MIN_S=""
NODE_MAX_S=""
DRAIN_S=""
CRASH_LOAD=1
COORDINATORS=1
AT_ONCE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) MINUTES="$2"; shift 2 ;;
    --nodes) NODES="$2"; shift 2 ;;
    --coordinator-kills) COORDINATOR_KILLS="$2"; shift 2 ;;
    --store) STORE="$2"; shift 2 ;;
    --dir) DIR="$2"; shift 2 ;;
    --drain-seconds) DRAIN_S="$2"; shift 2 ;;
    --node-kill-seconds)
      case "$2" in
        *-*) NODE_MIN_S="${2%%-*}"; NODE_MAX_S="${2#*-}" ;;
        *) echo "--node-kill-seconds takes MIN-MAX, e.g. 20-60; got '$2'" >&2; exit 2 ;;
      esac
      shift 2 ;;
    --no-crash-load) CRASH_LOAD=0; shift ;;
    --coordinators) COORDINATORS="$2"; shift 2 ;;
    --coordinator-kills-at-once) AT_ONCE="$2"; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$KILLSTORM_ROOT/ops/storm/killstorm.sh"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
# The storm's times follow the load it will run at: a job that takes 15 s on an idle machine took
# over 4 minutes at load 30 on 2 cores (round 38), and the fixed 20-60 s between kills there let no
# job end, so the storm checked no delivery. Read before the storm adds its own JVMs.
LOAD_PER_CORE="$(awk -v cores="$(nproc 2>/dev/null || echo 1)" '{ l = $2 / cores; if (l < 1) l = 1; if (l > 15) l = 15; printf "%.2f", l }' /proc/loadavg 2>/dev/null || echo 1)"
scaled() { awk -v l="$LOAD_PER_CORE" -v by="$1" 'BEGIN { printf "%d", l * by + 0.5 }'; }
if [ -z "$NODE_MIN_S" ]; then
  NODE_MIN_S="$(scaled 20)"
  NODE_MAX_S="$(scaled 28)"
  [ "$NODE_MAX_S" -ge 60 ] || NODE_MAX_S=60
fi
SIZED="load per core $LOAD_PER_CORE"
if [ -z "$DRAIN_S" ]; then
  case "$NODE_MIN_S" in ''|*[!0-9]*) DRAIN_S=90 ;; *) DRAIN_S=$(( NODE_MIN_S > 90 ? NODE_MIN_S : 90 )) ;; esac
fi
if [ -z "$MINUTES" ]; then
  case "$NODE_MAX_S" in ''|*[!0-9]*) MINUTES=5 ;; *) MINUTES=$(( (NODE_MAX_S * 17 + 599) / 600 )); [ "$MINUTES" -ge 5 ] || MINUTES=5 ;; esac
fi
for pair in "--minutes=$MINUTES" "--nodes=$NODES" "--coordinator-kills=$COORDINATOR_KILLS" "--drain-seconds=$DRAIN_S" \
    "--node-kill-seconds=$NODE_MIN_S-$NODE_MAX_S" "--coordinators=$COORDINATORS" \
    "--coordinator-kills-at-once=${AT_ONCE:-0}"; do
  case "${pair#*=}" in
    ''|*[!0-9-]*|-*|*-|*-*-*) echo "${pair%%=*} takes whole seconds or a count, got '${pair#*=}'" >&2; exit 2 ;;
  esac
done
[ "$NODE_MIN_S" -le "$NODE_MAX_S" ] || { echo "--node-kill-seconds: MIN ($NODE_MIN_S) is more than MAX ($NODE_MAX_S)" >&2; exit 2; }
[ "$NODES" -ge 1 ] || { echo "--nodes must be at least 1" >&2; exit 2; }
[ "$COORDINATORS" -ge 1 ] || { echo "--coordinators must be at least 1" >&2; exit 2; }
if [ -z "$AT_ONCE" ]; then
  if [ "$COORDINATORS" -gt 1 ]; then AT_ONCE=1; else AT_ONCE=0; fi
fi
case "$STORE" in
  postgresql://*) ;;
  *) [ "$COORDINATORS" -eq 1 ] || { echo "--coordinators $COORDINATORS needs a shared store: give --store postgresql://... (SQLite is one process's)" >&2; exit 2; } ;;
esac

ROOT="$KILLSTORM_ROOT"
JAR="$ROOT/client/target/rhizome.jar"
[ -f "$JAR" ] || { echo "build first: mvn -B -q package -DskipTests ($JAR is missing)" >&2; exit 2; }
DIR="${DIR:-$(mktemp -d /tmp/rhizome-storm.XXXXXX)}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
# the demo's flags: small heaps and the quick JIT, so the jobs get the CPU
# a copy: a rebuild during the storm must not change the jar under running processes
cp "$JAR" "$DIR/rhizome.jar"
# a temporary directory of the storm's own, so what killed processes leave there can be counted;
# a job's sandbox binds files the node writes there (its /proc views), and a root node's jobs run
# as uids of their own (node.job.JobUids) that must reach them: mktemp's 0700 refused them, and
# every node's trial job failed ("bwrap: Can't find source path ...: Permission denied")
mkdir -p "$DIR/tmp"
chmod 711 "$DIR"
JAVA_CP=(java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 "-Djava.io.tmpdir=$DIR/tmp" -cp "$DIR/rhizome.jar")
JAVA=("${JAVA_CP[@]}" dev.rhizome.client.Main)
# coordinator 1 is named "coordinator" (its directory too, as before there were two); others coordinator-C
coordinator_name() { if [ "$1" -eq 1 ]; then echo coordinator; else echo "coordinator-$1"; fi; }
declare -A PORTS URLS
for c in $(seq 1 "$COORDINATORS"); do
  PORTS[$c]="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  URLS[$c]="http://127.0.0.1:${PORTS[$c]}"
done
PORT="${PORTS[1]}"
URL="${URLS[1]}"
STORE_ARGS=()
[ -n "$STORE" ] && STORE_ARGS=(--store "$STORE")

log() { echo "[$(date -u +%H:%M:%S)] $*" | tee -a "$DIR/storm.log" >&2; }
FAILURES=()
fail() { FAILURES+=("$*"); log "FAIL: $*"; }

declare -A PID
KILLS_NODE=0
KILLS_COORD=0
KILLS_AT_ONCE=0
declare -A KILLS_EACH
UNEXPECTED_EXITS=0

start_coordinator() {
  local c=${1:-1}
  local name
  name="$(coordinator_name "$c")"
  mkdir -p "$DIR/$name"
  rm -f "$DIR/$name/coordinator.url"
  "${JAVA[@]}" coordinator --data-dir "$DIR/$name" --port "${PORTS[$c]}" "${STORE_ARGS[@]}" \
      >>"$DIR/$name/coordinator.log" 2>&1 &
  PID[$name]=$!
  local deadline=$((SECONDS + 90))
  while [ ! -f "$DIR/$name/coordinator.url" ]; do
    if ! kill -0 "${PID[$name]}" 2>/dev/null || [ $SECONDS -gt $deadline ]; then
      fail "$name did not start; its log ends: $(tail -5 "$DIR/$name/coordinator.log")"
      return 1
    fi
    sleep 0.2
  done
}
start_all_coordinators() {
  local c ok=0
  for c in $(seq 1 "$COORDINATORS"); do start_coordinator "$c" || ok=1; done
  return $ok
}

start_node() {
  local i=$1
  "${JAVA[@]}" node --data-dir "$DIR/node-$i" --coordinator "${URLS[$(( (i - 1) % COORDINATORS + 1 ))]}" --explore \
      >>"$DIR/node-$i/node.log" 2>&1 &
  PID[node-$i]=$!
}

kill9() {
  local name=$1
  local pid=${PID[$name]}
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  echo "--- $(date -u +%H:%M:%S) storm: kill -9 $pid ---" >>"$(logfile "$name")"
}

logfile() { case "$1" in coordinator*) echo "$DIR/$1/coordinator.log" ;; *) echo "$DIR/$1/node.log" ;; esac; }

rand_between() { echo $(($1 + RANDOM % ($2 - $1 + 1))); }

# results the nodes logged as finished and as acknowledged so far (their logs: no JVM to start)
count_in_logs() { cat "$DIR"/node-*/node.log 2>/dev/null | grep -cP "$1"; }
FINISHED_RE=': result \S+ \S+: .* \(unit [^)]+\)'
ACKED_RE='\(acknowledged \S+\)'
progress() {
  log "progress: $1; $KILLS_NODE node kills, $KILLS_COORD coordinator kills, $(count_in_logs "$FINISHED_RE") results finished, $(count_in_logs "$ACKED_RE") acknowledged"
}

# one JSON object: what ran, what the checks counted, what failed (the last line of standard output),
# also when the storm stops early
write_summary() {
  printf '%s\0' "${FAILURES[@]}" | python3 -c '
import json, os, re, sys
d, store, minutes, nodes, kn, kc, unexpected, crash_load, coordinators, at_once, each = sys.argv[1:12]
failures = [f for f in sys.stdin.read().split("\0") if f]
def load(name):
    try:
        return json.load(open(os.path.join(d, name)))
    except (OSError, ValueError):
        return None
crash = None
if crash_load == "1":
    try:
        line = open(os.path.join(d, "crash.txt")).readline()
        m = re.search(r"(\d+) kills under load: (\d+) results acknowledged, (\d+) stored, (\d+) acknowledged but missing, "
                      r"(\d+) units stored twice, (\d+) calls cut", line)
        crash = dict(zip(["kills", "acknowledged", "stored", "missing", "stored_twice", "calls_cut"],
                         map(int, m.groups()))) if m else {"unparsed": line.strip()}
        if m:
            more = re.search(r"(\d+) units leased to two keys, store integrity: (.*?), (\d+) problems in the store.s tables "
                             r"\((\d+) backups under load checked too\), (\d+) kills with units still unacknowledged, "
                             r"[\d.]+ s$", line.strip()) \
                or re.search(r"(\d+) units leased to two keys, store integrity: (.*?), [\d.]+ s$", line.strip())
            left = re.search(r"calls cut by a kill, (\d+) files left in the temporary directory", line)
            if left:
                crash["left_in_temp"] = int(left.group(1))
            if more:
                crash["leased_twice"] = int(more.group(1))
                crash["store_integrity"] = more.group(2)
            if more and more.lastindex == 5:
                crash["store_problems"] = int(more.group(3))
                crash["backups_checked"] = int(more.group(4))
                crash["kills_under_load"] = int(more.group(5))
    except OSError:
        crash = {"unparsed": ""}
summary = {"dir": d, "store": store or "sqlite", "coordinators": int(coordinators), "minutes": int(minutes), "nodes": int(nodes),
           "node_kills": int(kn), "coordinator_kills": int(kc), "coordinator_kills_at_once": int(at_once),
           "coordinator_kills_each": {k: int(v) for k, v in (p.split("=") for p in each.split() if p)},
           "unexpected_exits": int(unexpected),
           "results": load("check.json"), "coordinator_under_load": crash,
           "passed": not failures, "failures": failures}
text = json.dumps(summary)
open(os.path.join(d, "summary.json"), "w").write(text + "\n")
print(text)
' "$DIR" "$STORE" "$MINUTES" "$NODES" "$KILLS_NODE" "$KILLS_COORD" "$UNEXPECTED_EXITS" "$CRASH_LOAD" "$COORDINATORS" \
  "$KILLS_AT_ONCE" "$(for c in $(seq 1 "$COORDINATORS"); do n="$(coordinator_name "$c")"; echo "$n=${KILLS_EACH[$n]:-0}"; done)"
}

stop_all() {
  for name in "${!PID[@]}"; do kill -TERM "${PID[$name]}" 2>/dev/null; done
  for name in "${!PID[@]}"; do wait "${PID[$name]}" 2>/dev/null; done
}
trap 'stop_all; write_summary' EXIT

mkdir -p "$DIR/coordinator"
for i in $(seq 1 "$NODES"); do mkdir -p "$DIR/node-$i"; done
log "storm in $DIR: $NODES nodes, $MINUTES min, node kills every $NODE_MIN_S-$NODE_MAX_S s, a $DRAIN_S s drain (sized at $SIZED unless given), $COORDINATOR_KILLS coordinator kills, store ${STORE:-sqlite}, $COORDINATORS coordinator(s) on port(s) ${PORTS[*]}"
start_all_coordinators || exit 1
"${JAVA[@]}" seed publish --builtin tiny-lm --data-dir "$DIR/node-1" --coordinator "$URL" >>"$DIR/storm.log" 2>&1 \
  || { fail "seed publish failed"; exit 1; }
"${JAVA[@]}" direction open --name storm --seed tiny-lm --data-dir "$DIR/operator" --coordinator "${URLS[$COORDINATORS]}" \
  >>"$DIR/storm.log" 2>&1 || { fail "direction open failed"; exit 1; }
declare -A NEXT_KILL
for i in $(seq 1 "$NODES"); do
  start_node "$i"
  NEXT_KILL[node-$i]=$((SECONDS + $(rand_between $NODE_MIN_S $NODE_MAX_S)))
done
STORM_START=$SECONDS
STORM_END=$((SECONDS + MINUTES * 60))
# who each coordinator kill hits: the coordinators in turn, and AT_ONCE moments of all of them spread
# among those (a random pick left one coordinator unkilled in a whole storm, and never both at once)
COORD_KILL_WHO=()
for k in $(seq 1 "$COORDINATOR_KILLS"); do COORD_KILL_WHO+=($(( (k - 1) % COORDINATORS + 1 ))); done
for a in $(seq 1 "$AT_ONCE"); do
  at=$(( a * (${#COORD_KILL_WHO[@]} + 1) / (AT_ONCE + 1) ))
  COORD_KILL_WHO=("${COORD_KILL_WHO[@]:0:$at}" all "${COORD_KILL_WHO[@]:$at}")
done
COORD_KILL_AT=()
for k in $(seq 1 "${#COORD_KILL_WHO[@]}"); do
  COORD_KILL_AT+=($((STORM_START + k * MINUTES * 60 / (${#COORD_KILL_WHO[@]} + 1) + $(rand_between 0 10))))
done

NEXT_PROGRESS=$((SECONDS + 30))
while [ $SECONDS -lt $STORM_END ]; do
  sleep 1
  if [ $SECONDS -ge $NEXT_PROGRESS ]; then
    NEXT_PROGRESS=$((SECONDS + 30))
    progress "storm $(( (SECONDS - STORM_START) / 60 )):$(printf %02d $(( (SECONDS - STORM_START) % 60 ))) of $MINUTES:00"
  fi
  for name in "${!PID[@]}"; do
    if ! kill -0 "${PID[$name]}" 2>/dev/null; then
      wait "${PID[$name]}" 2>/dev/null; rc=$?
      UNEXPECTED_EXITS=$((UNEXPECTED_EXITS + 1))
      fail "$name exited on its own (status $rc); its log ends: $(tail -3 "$(logfile "$name")" | tr '\n' ' ')"
      case "$name" in
        coordinator) start_coordinator 1 ;;
        coordinator-*) start_coordinator "${name#coordinator-}" ;;
        *) start_node "${name#node-}" ;;
      esac
    fi
  done
  if [ ${#COORD_KILL_AT[@]} -gt 0 ] && [ $SECONDS -ge "${COORD_KILL_AT[0]}" ]; then
    COORD_KILL_AT=("${COORD_KILL_AT[@]:1}")
    who="${COORD_KILL_WHO[0]}"
    COORD_KILL_WHO=("${COORD_KILL_WHO[@]:1}")
    if [ "$who" = all ]; then
      victims=$(seq 1 "$COORDINATORS")
      KILLS_AT_ONCE=$((KILLS_AT_ONCE + 1))
    else
      victims=$who
    fi
    # every victim killed before any restarts: at once, no coordinator answers a node in between
    for victim in $victims; do
      name="$(coordinator_name "$victim")"
      kill -9 "${PID[$name]}" 2>/dev/null
    done
    for victim in $victims; do
      name="$(coordinator_name "$victim")"
      kill9 "$name"; KILLS_COORD=$((KILLS_COORD + 1)); KILLS_EACH[$name]=$(( ${KILLS_EACH[$name]:-0} + 1 ))
      log "kill -9 $name (#$KILLS_COORD$([ "$who" = all ] && echo ", every coordinator at once")); restarting"
    done
    for victim in $victims; do start_coordinator "$victim"; done
  fi
  for i in $(seq 1 "$NODES"); do
    if [ $SECONDS -ge "${NEXT_KILL[node-$i]}" ]; then
      kill9 "node-$i"; KILLS_NODE=$((KILLS_NODE + 1))
      log "kill -9 node-$i (#$KILLS_NODE); restarting"
      start_node "$i"
      NEXT_KILL[node-$i]=$((SECONDS + $(rand_between $NODE_MIN_S $NODE_MAX_S)))
    fi
  done
done

log "storm over: $KILLS_NODE node kills, $KILLS_COORD coordinator kills; $DRAIN_S s without kills so outboxes drain"
# the drain counts from when every node runs again: a node killed in the storm's last seconds spent 95 s
# of a 90 s drain starting (its sandbox probe at load 25), and its kept result was counted as stuck
started_since_kill() { awk '/storm: kill -9/ { up = 0 } /NodeDaemon - peer server on/ { up = 1 } END { exit !up }' "$1"; }
UP_BY=$((SECONDS + 300))
for i in $(seq 1 "$NODES"); do
  while ! started_since_kill "$DIR/node-$i/node.log" && [ $SECONDS -lt $UP_BY ]; do sleep 2; done
done
log "every node running again after $(( SECONDS - (UP_BY - 300) )) s; the drain starts"
DRAIN_END=$((SECONDS + DRAIN_S))
while [ $SECONDS -lt $DRAIN_END ]; do
  sleep $(( DRAIN_END - SECONDS < 30 ? DRAIN_END - SECONDS : 30 ))
  progress "drain, $(( DRAIN_END - SECONDS )) s left"
done
for i in $(seq 1 "$NODES"); do
  if ! kill -0 "${PID[node-$i]}" 2>/dev/null; then fail "node-$i is not running at the end"; fi
done
# SIGTERM: a node stops its jobs and makes a last delivery attempt
for i in $(seq 1 "$NODES"); do kill -TERM "${PID[node-$i]}" 2>/dev/null; done
for i in $(seq 1 "$NODES"); do wait "${PID[node-$i]}" 2>/dev/null; unset "PID[node-$i]"; done

# --- checks ---
"${JAVA[@]}" results --json --coordinator "$URL" >"$DIR/results.json" 2>>"$DIR/storm.log" \
  || fail "rhizome results failed"
# one store: every other coordinator must answer the same results as the first
for c in $(seq 2 "$COORDINATORS"); do
  "${JAVA[@]}" results --json --coordinator "${URLS[$c]}" >"$DIR/results-$c.json" 2>>"$DIR/storm.log" \
    || fail "rhizome results from coordinator-$c failed"
  python3 -c '
import json, sys
ids = lambda p: sorted(json.dumps(r, sort_keys=True) for r in json.load(open(p)).get("results", []))
sys.exit(0 if ids(sys.argv[1]) == ids(sys.argv[2]) else 1)' "$DIR/results.json" "$DIR/results-$c.json" \
    || fail "coordinator-$c answers other results than coordinator (results.json, results-$c.json)"
done
python3 - "$DIR" "$NODES" >"$DIR/check.txt" <<'EOF'
import json, os, re, sys, collections
d, nodes = sys.argv[1], int(sys.argv[2])
res = json.load(open(os.path.join(d, "results.json")))
valid = res.get("results", [])
safe = lambda u: re.sub(r"[^A-Za-z0-9._-]", "_", u)
unit_of = lambda r: safe(r.get("work_unit_id", r.get("workUnitId", "")))
per_unit = collections.Counter(unit_of(r) for r in valid)
# An UNFETCHABLE report counts an attempt and the unit is issued again, so a unit may have one of
# those and then a result from another runner; what must never be is one runner twice, or two
# results that measured the unit.
per_runner = collections.Counter((unit_of(r), r.get("runner")) for r in valid)
measured = collections.Counter(unit_of(r) for r in valid if r.get("status") != "UNFETCHABLE")
dups = {u: n for (u, _), n in per_runner.items() if n > 1}
dups.update({u: n for u, n in measured.items() if n > 1})
print(f"coordinator: {len(valid)} results with valid signatures, {res.get('invalid_signatures')} invalid, "
      f"{len(dups)} units reported twice by one runner or measured twice")
problems = []
totals = collections.Counter()
if res.get("invalid_signatures"):
    problems.append(f"{res['invalid_signatures']} results with invalid signatures")
if dups:
    problems.append(f"duplicate results for units {sorted(dups)[:5]}")
for i in range(1, nodes + 1):
    nd = os.path.join(d, f"node-{i}")
    text = open(os.path.join(nd, "node.log"), errors="replace").read()
    finished = set(re.findall(r": result \S+ \S+: .* \(unit ([^)]+)\)", text))
    finished = {safe(u) for u in finished}
    acked = set(m[:-len(".result")] for m in re.findall(r"\(acknowledged (\S+)\)", text))
    outbox = os.path.join(nd, "outbox")
    pending = {f[:-len(".result")] for f in os.listdir(outbox) if f.endswith(".result")} if os.path.isdir(outbox) else set()
    refused_dir = os.path.join(outbox, "refused")
    refused = {f[:-len(".result")] for f in os.listdir(refused_dir)} if os.path.isdir(refused_dir) else set()
    corrupt = [f for f in os.listdir(outbox) if f.endswith(".corrupt")] if os.path.isdir(outbox) else []
    lost_acked = acked - set(per_unit)
    never = finished - set(per_unit) - pending - refused
    totals.update(finished=len(finished), acknowledged=len(acked), still_in_outbox=len(pending), refused=len(refused),
                  corrupt_outbox_files=len(corrupt), acknowledged_but_missing=len(lost_acked), finished_but_nowhere=len(never))
    print(f"node-{i}: {len(finished)} results finished (logged), {len(acked)} acknowledged, "
          f"{len(pending)} still in outbox, {len(refused)} refused, {len(corrupt)} corrupt outbox files; "
          f"acknowledged but missing at coordinator: {len(lost_acked)}; finished but nowhere: {len(never)}")
    if lost_acked:
        problems.append(f"node-{i}: acknowledged results missing at the coordinator: {sorted(lost_acked)[:5]}")
    if never:
        problems.append(f"node-{i}: finished results neither stored nor kept: {sorted(never)[:5]}")
    if pending:
        problems.append(f"node-{i}: {len(pending)} results still in the outbox after the drain")
    if refused:
        problems.append(f"node-{i}: results the coordinator refused for good: {sorted(refused)[:5]}")
    if corrupt:
        problems.append(f"node-{i}: corrupt outbox files {corrupt}")
    stray = []
    for sub in ("outbox", "outbox/refused", "buffer", "claims", "receipts", "give-backs", ""):
        p = os.path.join(nd, sub)
        if os.path.isdir(p):
            stray += [os.path.join(sub, f) for f in os.listdir(p) if f.endswith((".tmp", ".partial"))]
    print(f"node-{i}: leftover temporary files: {stray}")
    if stray:
        problems.append(f"node-{i}: leftover temporary files {stray}")
    totals.update(leftover_tmp_files=len(stray))
if not totals["finished"]:
    problems.append("no node finished a result: the storm checked no delivery (kills come faster than a job "
                    "ends here; give --node-kill-seconds a MIN above a job's time)")
json.dump(dict(totals, at_coordinator=len(valid), invalid_signatures=res.get("invalid_signatures") or 0,
               units_twice=len(dups)), open(os.path.join(d, "check.json"), "w"))
for p in problems:
    print("PROBLEM: " + p)
EOF
cat "$DIR/check.txt" | tee -a "$DIR/storm.log" >&2
while IFS= read -r line; do fail "${line#PROBLEM: }"; done < <(grep '^PROBLEM: ' "$DIR/check.txt")

# the receipts the nodes kept match the coordinator's trail: each signed, each result in the export at its
# index, and one for every result stored (a kill between the answer and the receipt's write sends the
# result again, and its "already recorded" answer carries the receipt)
receipt_files=()
receipts_kept=0
for i in $(seq 1 "$NODES"); do
  if n="$("${JAVA[@]}" node receipts --data-dir "$DIR/node-$i" --out "$DIR/node-$i.receipts" --json 2>>"$DIR/storm.log")"; then
    receipt_files+=("$DIR/node-$i.receipts")
    receipts_kept=$((receipts_kept + $(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["receipts"])' "$n")))
  else
    fail "node-$i: rhizome node receipts failed (storm.log)"
  fi
done
if "${JAVA[@]}" export --coordinator "$URL" --out "$DIR/export.jsonl" >>"$DIR/storm.log" 2>&1; then
  "${JAVA[@]}" verify "$DIR/export.jsonl" --receipts "${receipt_files[@]}" --json >"$DIR/verify.json" 2>>"$DIR/storm.log" \
    || fail "rhizome verify --receipts: $(head -c 600 "$DIR/verify.json")"
else
  fail "rhizome export failed (storm.log)"
fi
at_coordinator="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["at_coordinator"])' "$DIR/check.json")"
log "receipts: $receipts_kept kept by the nodes, $at_coordinator results at the coordinator; verify: $(head -c 300 "$DIR/verify.json" 2>/dev/null)"
[ "$receipts_kept" -eq "$at_coordinator" ] \
  || fail "the nodes kept $receipts_kept receipts for $at_coordinator results at the coordinator"
python3 - "$DIR/check.json" "$receipts_kept" <<'EOF2'
import json, sys
c = json.load(open(sys.argv[1])); c["receipts_kept"] = int(sys.argv[2]); json.dump(c, open(sys.argv[1], "w"))
EOF2

# every node restarts on its data directory and its repository reads whole
for i in $(seq 1 "$NODES"); do
  "${JAVA_CP[@]}" dev.rhizome.ops.storm.RepositoryCheck "$DIR/node-$i" >>"$DIR/check.txt" 2>&1 \
    || fail "node-$i's repository check failed: $(tail -2 "$DIR/check.txt" | tr '\n' ' ')"
done 2>/dev/null
# the coordinator restarts once more, and a SQLite store passes its integrity check
for c in $(seq 1 "$COORDINATORS"); do
  name="$(coordinator_name "$c")"
  kill -TERM "${PID[$name]}" 2>/dev/null; wait "${PID[$name]}" 2>/dev/null
done
if [ -z "$STORE" ]; then
  ic="$(sqlite3 "$DIR/coordinator/coordinator.db" 'PRAGMA integrity_check' 2>&1)"
  [ "$ic" = ok ] || fail "SQLite integrity check: $ic"
fi
start_all_coordinators && log "every coordinator restarts cleanly"
for i in $(seq 1 "$NODES"); do
  start_node "$i"
  # a hang, not a speed check: on 2 shared cores a node's start (sandbox probe included) took over 60 s
  deadline=$((SECONDS + 180))
  while [ ! -f "$DIR/node-$i/node.json" ] || ! grep -q "\"pid\":${PID[node-$i]}" "$DIR/node-$i/node.json" 2>/dev/null; do
    if ! kill -0 "${PID[node-$i]}" 2>/dev/null || [ $SECONDS -gt $deadline ]; then
      fail "node-$i does not restart: $(tail -3 "$DIR/node-$i/node.log" | tr '\n' ' ')"; break
    fi
    sleep 0.5
  done
done
stop_all

# what killed processes left outside their data directories (fetched bundles, job checkouts, seccomp
# programs), now that every process has stopped; and no process of the storm may outlive it
# (sqlite-jdbc's native library is loaded from a private directory deleted once it is loaded,
# SqliteNativeLibrary: a killed coordinator leaves none of it, so it is counted with the rest)
left="$(find "$DIR/tmp" -mindepth 1 -maxdepth 1 2>/dev/null | sed "s|$DIR/tmp/||" | sed -E 's/[0-9]+/N/g' | sort | uniq -c | tr '\n' ';')"
log "left in the temporary directory after every process stopped: ${left:-nothing}"
du -sh "$DIR/tmp" >&2
[ -z "$left" ] || fail "temporary files left behind: $left"
# the storm's own ancestors (a `timeout` or `nice` it was started under) name the directory too
ancestors=" "
p=$$
while [ -n "$p" ] && [ "$p" -gt 1 ]; do
  ancestors="$ancestors$p "
  p="$(ps -o ppid= -p "$p" | tr -d ' ')"
done
orphans="$(ps -eo pid=,comm=,args= | grep -F -- "$DIR" \
  | awk -v anc="$ancestors" '$2 != "bash" && $2 != "grep" && $2 != "ps" && index(anc, " " $1 " ") == 0' | cut -c1-140)"
[ -z "$orphans" ] || fail "processes outlived the storm: $(echo "$orphans" | tr '\n' ';')"

# what the logs say: errors, warnings and stack traces, by kind
for f in "$DIR"/coordinator*/coordinator.log "$DIR"/node-*/node.log; do
  n_err=$(grep -c ' ERROR ' "$f"); n_warn=$(grep -c ' WARN ' "$f"); n_trace=$(grep -cE '^\s+at |^Caused by' "$f")
  log "$(basename "$(dirname "$f")"): $n_err ERROR, $n_warn WARN, $n_trace stack-trace lines"
done
grep -hE ' (ERROR|WARN) ' "$DIR"/coordinator*/coordinator.log "$DIR"/node-*/node.log \
  | sed -E 's/^[0-9:. -]+//; s/[0-9a-f]{8,}/H/g; s/[0-9]+/N/g' | sort | uniq -c | sort -rn | head -40 >"$DIR/warnings.txt"
log "distinct ERROR/WARN messages (numbers and ids masked), most frequent first: $DIR/warnings.txt"
cat "$DIR/warnings.txt" >&2
# the coordinator killed under `bench coordinator`-like load: every result a client got a 200 for is stored, once
if [ "$CRASH_LOAD" = 1 ]; then
  crash_store="$STORE"
  case "$STORE" in postgresql://*) crash_store="${STORE%%\?*}?schema=crash_$(date +%s)" ;; esac
  if "${JAVA_CP[@]}" dev.rhizome.ops.storm.CoordinatorCrash "$DIR/crash-coordinator" "$crash_store" >"$DIR/crash.txt" \
      2>>"$DIR/storm.log"; then
    log "coordinator under load: $(head -1 "$DIR/crash.txt")"
  else
    fail "coordinator under load: $(tr '\n' ' ' <"$DIR/crash.txt")"
  fi
fi
log "summary: $KILLS_NODE node kills, $KILLS_COORD coordinator kills, $UNEXPECTED_EXITS unexpected exits, ${#FAILURES[@]} failures"
for f in "${FAILURES[@]}"; do echo "  - $f" >&2; done
[ ${#FAILURES[@]} -eq 0 ]  # the summary is written on exit
