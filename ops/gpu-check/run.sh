#!/usr/bin/env bash
# A GPU check anyone can repeat, on a machine with NVIDIA GPUs and Python with torch but no Java:
# starts a coordinator and a node from dist/ (built once elsewhere by
# `mvn -B -Pruntime package -DskipTests`: a jlinked Java runtime and rhizome.jar), publishes the
# gpt-torch seed (tiny-lm when this build has no gpt-torch), lets the node explore and evaluate
# until it has done --units work units, and prints one JSON line: each slot's hardware class, the
# results (metric, runtime, GPU memory and utilisation), the gaps between consecutive jobs and the
# best val_bpb. It works on CPU too (no GPU: the node runs CPU slots).
# With a GPU it then runs one job of a device-view seed on a GPU slot, which checks from inside the
# sandbox that the job sees its own GPU alone: one /dev/nvidia<minor>, /dev/nvidiactl and nvidia-uvm,
# no /dev/nvidia-caps nor /proc/driver/nvidia/capabilities (MIG's config and monitor rights), no
# /dev/nvidia-modeset nor /dev/nvidia-uvm-tools (the profilers' UVM device; CUDA computes without it), one entry of /proc/driver/nvidia/gpus, one CUDA device that computes,
# pinned host memory copied to it and back (the sandbox answers set_mempolicy and mbind done without running them,
# page migration ENOSYS), and the CPUs of its slot's share (the JSON line's device_view).
#
#   ops/gpu-check/run.sh [--units N] [--seed gpt-torch|tiny-lm] [--keep]
# Progress goes to stderr; the JSON line is the last line on stdout. Exit 0 when every job ran OK.
set -euo pipefail

here="$(cd "$(dirname "$0")/../.." && pwd)"
units=8
seed=""
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --units) units="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

java="$here/dist/runtime/bin/java"
jar="$here/dist/rhizome.jar"
if [ ! -x "$java" ]; then
  if command -v java >/dev/null; then java="$(command -v java)"; else
    echo "no $java: build it with 'mvn -B -Pruntime package -DskipTests' and copy dist/ here" >&2; exit 2; fi
fi
[ -f "$jar" ] || jar="$here/client/target/rhizome.jar"
[ -f "$jar" ] || { echo "no rhizome.jar under dist/ or client/target/" >&2; exit 2; }
python="$(command -v python3 || true)"
[ -n "$python" ] || { echo "python3 is needed (the seed's jobs and this report use it)" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/rhizome-gpu-check.XXXXXX")"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "$keep" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

rz() { "$java" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar "$jar" "$@"; }
node_flags=(-Xms16m -Xmx64m -Xss512k -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:MaxMetaspaceSize=64m
  -XX:ReservedCodeCacheSize=24m -XX:MaxDirectMemorySize=32m -Dio.netty.allocator.type=unpooled)

echo "== nvidia-smi" >&2
gpu=0
if nvidia-smi --query-gpu=index,name,memory.total,pci.bus_id,uuid,driver_version --format=csv,noheader,nounits >&2 2>/dev/null; then
  gpu=1
else
  echo "(no NVIDIA GPU answered: CPU slots only)" >&2
fi

# Started as java itself (not through the rz function), so that $! is the JVM and cleanup stops it.
"$java" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar "$jar" coordinator --data-dir "$work/coordinator" \
  --port 0 >"$work/coordinator.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do [ -s "$work/coordinator/coordinator.url" ] && break; sleep 0.5; done
url="$(cat "$work/coordinator/coordinator.url" 2>/dev/null || true)"
[ -n "$url" ] || { echo "the coordinator did not start; see $work/coordinator.log" >&2; keep=1; exit 1; }
echo "== coordinator $url" >&2

if [ -z "$seed" ]; then
  if rz seed publish --builtin gpt-torch --coordinator "$url" --data-dir "$work/node" --json >"$work/seed.json" 2>"$work/seed.err"; then
    seed=gpt-torch
  else
    seed=tiny-lm
    rz seed publish --builtin tiny-lm --coordinator "$url" --data-dir "$work/node" --json >"$work/seed.json"
  fi
else
  rz seed publish --builtin "$seed" --coordinator "$url" --data-dir "$work/node" --json >"$work/seed.json"
fi
echo "== published $seed" >&2
rz direction open --seed "$seed" --name gpu-check --coordinator "$url" --data-dir "$work/node" --json >/dev/null

echo "== node: exploring and evaluating until $units units are done" >&2
"$java" "${node_flags[@]}" -jar "$jar" node --data-dir "$work/node" --coordinator "$url" --explore \
  --max-units "$units" >"$work/node.log" 2>&1 &
node_pid=$!
pids+=($node_pid)
wait "$node_pid" || { echo "the node failed; see $work/node.log" >&2; keep=1; exit 1; }

rz results --direction gpu-check --coordinator "$url" --data-dir "$work/node" --json >"$work/results.json"

# What a GPU job sees of the machine's GPUs, from inside the sandbox: a seed of one job whose command
# checks it, run on a GPU slot (a node with GPUs runs no CPU slot by default). Its result is OK only
# when every check held; else its reason says what did not.
echo '{}' >"$work/device-view.json"
if [ "$gpu" = 1 ]; then
  view="$work/device-view-seed"
  mkdir -p "$view"
  cat >"$view/rhizome.json" <<'JSON'
{
  "name": "device-view",
  "command": ["python3", "view.py"],
  "budget": { "steps": "1" },
  "random_seed": "1",
  "metric": { "name": "val_bpb", "lower_is_better": true, "tolerance": 0.1, "min": 0, "max": 64 },
  "editable_files": ["view.py"],
  "hardware_class": "any",
  "brief": "BRIEF.md",
  "timeout_seconds": 600,
  "quorum": 1
}
JSON
  echo "Checks what a GPU job sees of the machine's GPUs (ops/gpu-check/run.sh)." >"$view/BRIEF.md"
  cat >"$view/view.py" <<'PY'
import glob, os, sys
seen, problems = {}, []
seen["gpu_index"] = os.environ.get("RHIZOME_GPU_INDEX")
if seen["gpu_index"] is None:
    problems.append("it ran on a CPU slot")
seen["gpu_nodes"] = sorted(glob.glob("/dev/nvidia[0-9]*"))
if len(seen["gpu_nodes"]) != 1:
    problems.append("GPU device nodes %s, not one" % seen["gpu_nodes"])
for needed in ("/dev/nvidiactl", "/dev/nvidia-uvm"):
    if not os.path.exists(needed):
        problems.append("no " + needed + " (CUDA needs it)")
for hidden in ("/dev/nvidia-caps", "/dev/nvidia-modeset", "/dev/nvidia-uvm-tools"):
    if os.path.exists(hidden):
        problems.append(hidden + " is visible")
caps = "/proc/driver/nvidia/capabilities"
if os.path.isdir(caps) and os.listdir(caps):
    problems.append("%s shows %s" % (caps, sorted(os.listdir(caps))))
gpus = "/proc/driver/nvidia/gpus"
seen["proc_gpus"] = sorted(os.listdir(gpus)) if os.path.isdir(gpus) else []
if len(seen["proc_gpus"]) != 1:
    problems.append("%s lists %s, not one GPU" % (gpus, seen["proc_gpus"]))
try:
    import torch
    seen["cuda_devices"] = torch.cuda.device_count()
    if seen["cuda_devices"] != 1:
        problems.append("CUDA lists %d devices, not one" % seen["cuda_devices"])
    else:
        total = float((torch.ones(1 << 20, device="cuda") * 2).sum())
        if total != 2.0 * (1 << 20):
            problems.append("CUDA computed %s" % total)
        # round 38: the filter answers set_mempolicy and mbind done without running them and page migration ENOSYS;
        # CUDA's driver may call them placing pinned host memory near its GPU, which must still work
        pinned = torch.arange(1 << 20, dtype=torch.float32).pin_memory()
        back = pinned.to("cuda", non_blocking=True).mul(2).to("cpu")
        if not pinned.is_pinned() or float(back[-1]) != 2.0 * ((1 << 20) - 1):
            problems.append("pinned host memory: pinned %s, copied back %s" % (pinned.is_pinned(), float(back[-1])))
except Exception as e:  # no torch, or CUDA failed without the devices it was not given
    problems.append("CUDA: %r" % (e,))
# round 38: a GPU slot's job runs on its slot's share of the node's CPUs (never none of them)
seen["cpus"] = sorted(os.sched_getaffinity(0))
if not seen["cpus"]:
    problems.append("no CPU to run on")
print("device-view: %s" % seen, file=sys.stderr)
if problems:
    print("device-view: " + "; ".join(problems), file=sys.stderr)
    sys.exit(1)
print("val_bpb: 1.0")
PY
  rz seed publish --dir "$view" --coordinator "$url" --data-dir "$work/node" --json >/dev/null
  rz direction open --seed device-view --name device-view --coordinator "$url" --data-dir "$work/node" --json >/dev/null
  echo "== node: one device-view job on a GPU slot" >&2
  "$java" "${node_flags[@]}" -jar "$jar" node --data-dir "$work/node" --coordinator "$url" --direction device-view \
    --max-units 1 >"$work/node-device-view.log" 2>&1 &
  node_pid=$!
  pids+=($node_pid)
  wait "$node_pid" || { echo "the device-view node failed; see $work/node-device-view.log" >&2; keep=1; exit 1; }
  rz results --direction device-view --coordinator "$url" --data-dir "$work/node" --json >"$work/device-view.json"
fi

"$python" - "$work/results.json" "$seed" "$work/device-view.json" "$gpu" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
rows = doc.get("results", doc if isinstance(doc, list) else [])
results, by_class = [], {}
for r in rows:
    rec = r.get("result", r)
    g = lambda k, d=None: rec.get(k, rec.get(''.join(w.capitalize() if i else w for i, w in enumerate(k.split('_'))), d))
    res = {"commit": g("commit", "")[:12], "status": g("status"), "hardware_class": g("hardware_class"),
           "val_bpb": g("metric"), "runtime_ms": int(g("runtime_ms", 0) or 0), "time_ms": int(g("time_ms", 0) or 0),
           "steps": int(g("steps", 0) or 0), "gpu_peak_memory_mib": int(g("gpu_peak_memory_mib", 0) or 0),
           "gpu_mean_utilization_percent": float(g("gpu_mean_utilization_percent", 0) or 0),
           "gpu_samples": int(g("gpu_samples", 0) or 0)}
    results.append(res)
    by_class.setdefault(res["hardware_class"], []).append(res)
gaps = []
for cls, rs in by_class.items():
    rs.sort(key=lambda x: x["time_ms"] - x["runtime_ms"])
    for a, b in zip(rs, rs[1:]):
        gap = (b["time_ms"] - b["runtime_ms"]) - a["time_ms"]
        if gap >= 0:  # overlapping jobs ran on different slots of one class
            gaps.append(gap)
gaps.sort()
ok = [r for r in results if r["status"] == "OK" and r["val_bpb"] is not None]
out = {"seed": sys.argv[2], "hardware_classes": sorted(by_class), "jobs": len(results), "ok": len(ok),
       "best_val_bpb": min((r["val_bpb"] for r in ok), default=None),
       "gap_p50_ms": gaps[len(gaps) // 2] if gaps else None, "gap_max_ms": gaps[-1] if gaps else None,
       "results": results}
view_ok = True
if sys.argv[4] == "1":
    view_doc = json.load(open(sys.argv[3]))
    view_rows = [r.get("result", r) for r in view_doc.get("results", view_doc if isinstance(view_doc, list) else [])]
    view_ok = bool(view_rows) and all(r.get("status") == "OK" for r in view_rows)
    out["device_view"] = {"ok": view_ok, "results": [{"status": r.get("status"), "reason": r.get("reason", "")}
                                                     for r in view_rows]}
print(json.dumps(out))
sys.exit(0 if results and len(ok) == len(results) and view_ok else 1)
PY
