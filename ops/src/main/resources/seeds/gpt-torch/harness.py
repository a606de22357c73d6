"""gpt-torch's evaluation harness. PROTECTED BY THE SEED: a commit that changes this file is
refused by every node, and nodes run the seed's own copy of it whatever a commit holds.

    python3 harness.py           questions a model in serve mode over stdin/stdout (rhizome-eval/1)
                                 and writes the metric into $RHIZOME_RESULT_FILE
    python3 harness.py run       what a node does, by hand: train, then evaluate; prints the result

The protocol, rhizome-eval/1 (docs/architecture.md): the harness sends one header line
`rhizome-eval/1 vocab=V streams=B length=T`, then T rounds. In round t it sends one line of B
token ids, token t of each held-out stream; the model answers with B*V little-endian float32, for
each stream the log-probabilities (any scores: the harness normalises them) of token t+1. A token
is revealed only after the model has committed to its distribution, so the model can't look
ahead. After the T-th answer the harness closes the model's input, scores, and writes its result.
"""

import math
import os
import subprocess
import sys
import time

import numpy as np

import source

STREAMS = 64
LENGTH = 256                 # scored tokens per stream: 16384 in all, the same for every run
VAL_SEED = [source.GENERATOR_SEED, 2]
ORACLE_MARGIN_BITS = 0.02    # no model beats the source's own probabilities by more on these tokens
MAX_BPB = 64.0              # the seed's metric.max (rhizome.json): the coordinator refuses a result above it


def evaluate(from_model, to_model):
    """Runs the protocol against one model; returns the result lines, or one `error:` line."""
    start = time.time()
    src = source.Source()
    tokens, nats = src.sample(STREAMS, LENGTH + 1, VAL_SEED)
    frame_bytes = STREAMS * source.V * 4
    model_nats = 0.0
    try:
        to_model.write(f"rhizome-eval/1 vocab={source.V} streams={STREAMS} length={LENGTH}\n".encode())
        for t in range(LENGTH):
            to_model.write((" ".join(map(str, tokens[:, t].tolist())) + "\n").encode())
            to_model.flush()
            frame = from_model.read(frame_bytes)
            if len(frame) < frame_bytes:
                return f"error: the model stopped answering in round {t} of {LENGTH}\n"
            scores = np.frombuffer(frame, dtype="<f4").reshape(STREAMS, source.V).astype(np.float64)
            if np.isnan(scores).any() or np.isposinf(scores).any():
                return f"error: the model sent NaN or +inf in round {t}\n"
            top = scores.max(axis=1, keepdims=True)
            with np.errstate(invalid="ignore"):
                lse = top[:, 0] + np.log(np.exp(scores - top).sum(axis=1))
            model_nats += float((lse - scores[np.arange(STREAMS), tokens[:, t + 1]]).sum())
    except (BrokenPipeError, ConnectionResetError) as e:
        return f"error: the model went away ({e})\n"
    finally:
        try:
            to_model.close()
        except OSError:
            pass
    n = STREAMS * LENGTH
    val_bpb = model_nats / n / math.log(2)
    oracle_bpb = float(nats[:, 1:].sum()) / n / math.log(2)
    if not math.isfinite(val_bpb):
        return "error: the model gave probability zero to a token that came\n"
    if val_bpb > MAX_BPB:
        # rhizome.json's metric.max: the coordinator refuses a result above it, so a run this far gone
        # is reported as the failure it is rather than as a number nobody will take
        return (f"error: val_bpb {val_bpb:.6f} is above the seed's metric.max {MAX_BPB:.0f}: "
                "the model is confidently wrong (diverged)\n")
    if val_bpb < oracle_bpb - ORACLE_MARGIN_BITS:
        return (f"error: val_bpb {val_bpb:.6f} is below the source's own {oracle_bpb:.6f} on the same tokens: "
                "the model has seen the held-out streams\n")
    return (f"val_bpb: {val_bpb:.6f}\nentropy_floor: {src.entropy_rate():.6f}\noracle_bpb: {oracle_bpb:.6f}\n"
            f"eval_tokens: {n}\neval_seconds: {time.time() - start:.1f}\n")


def evaluate_for_node():
    result = evaluate(sys.stdin.buffer, sys.stdout.buffer)
    sys.stderr.write(result)
    path = os.environ.get("RHIZOME_RESULT_FILE")
    if path:
        with open(path, "w") as f:
            f.write(result)
    sys.exit(1 if result.startswith("error:") else 0)


def run_by_hand():
    if subprocess.call([sys.executable, "train.py"]) != 0:
        sys.exit("training failed")
    model = subprocess.Popen([sys.executable, "train.py", "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    result = evaluate(model.stdout, model.stdin)
    model.wait(timeout=60)
    print(result, end="")
    sys.exit(1 if result.startswith("error:") else 0)


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "evaluate"
    if mode == "evaluate":
        evaluate_for_node()
    elif mode == "run":
        run_by_hand()
    else:
        sys.exit("usage: python3 harness.py [evaluate|run]")
