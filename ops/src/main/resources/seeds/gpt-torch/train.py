"""gpt-torch's model: a small GPT trained with AdamW on the seed's synthetic source. This file and
config.properties are yours to change.

    python3 train.py            trains on streams from source.py and saves the model in model.pt
    python3 train.py --serve    loads model.pt and answers the harness (rhizome-eval/1) on stdin/stdout

The metric is not computed here: the protected harness (harness.py) asks the served model for a
distribution over each held-out token before it reveals it, and scores the answers itself. In
serve mode stdout belongs to the protocol; anything for humans goes to stderr.

Budget and seed come from the node: RHIZOME_STEPS or RHIZOME_WALL_SECONDS, and
RHIZOME_RANDOM_SEED. CUDA is used when present, the CPU otherwise.
"""

import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

import source

T0 = time.time()
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
MODEL_FILE = "model.pt"
DEFAULT_STEPS = 3000         # the manifest's budget, for runs by hand
POOL_STREAMS = 512           # training data: this many fresh streams...
POOL_LENGTH = 2048           # ...of this many tokens, redrawn every REFRESH_STEPS
REFRESH_STEPS = 500


def load_config(path="config.properties"):
    values = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip()
    ints = ["n_layer", "n_head", "head_dim", "block_size", "batch_size"]
    floats = ["learning_rate", "weight_decay"]
    config = {k: int(values[k]) for k in ints}
    config.update({k: float(values[k]) for k in floats})
    return config


def attention(q, k, v):
    """Causal self-attention of the last q positions over all k: PyTorch's fused kernel where it
    has one (2.0 and later) and the lengths match, else by hand."""
    t, n = q.shape[-2], k.shape[-2]
    if t == n and hasattr(F, "scaled_dot_product_attention"):
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
    mask = torch.ones(t, n, dtype=torch.bool, device=q.device).triu(n - t + 1)
    return scores.masked_fill(mask, float("-inf")).softmax(dim=-1) @ v


class Block(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        self.n_head = n_head
        self.ln1 = nn.LayerNorm(n_embd)
        self.qkv = nn.Linear(n_embd, 3 * n_embd, bias=False)
        self.proj = nn.Linear(n_embd, n_embd, bias=False)
        self.ln2 = nn.LayerNorm(n_embd)
        self.mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.GELU(), nn.Linear(4 * n_embd, n_embd))

    def forward(self, x, cache=None):
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.n_head, c // self.n_head).transpose(1, 2) for z in (q, k, v))
        if cache is not None:  # serving: keys and values of earlier positions, kept between calls
            if "k" in cache:
                k, v = torch.cat([cache["k"], k], dim=2), torch.cat([cache["v"], v], dim=2)
            cache["k"], cache["v"] = k, v
        y = attention(q, k, v)
        x = x + self.proj(y.transpose(1, 2).contiguous().view(b, t, c))
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    def __init__(self, config):
        super().__init__()
        n_embd = config["n_head"] * config["head_dim"]
        self.block_size = config["block_size"]
        self.tok = nn.Embedding(source.V, n_embd)
        self.pos = nn.Embedding(self.block_size, n_embd)
        self.blocks = nn.ModuleList(Block(n_embd, config["n_head"]) for _ in range(config["n_layer"]))
        self.ln = nn.LayerNorm(n_embd)
        self.head = nn.Linear(n_embd, source.V, bias=False)

    def forward(self, idx, caches=None, start=0):
        t = idx.shape[1]
        x = self.tok(idx) + self.pos(torch.arange(start, start + t, device=idx.device))
        for i, block in enumerate(self.blocks):
            x = block(x, None if caches is None else caches[i])
        return self.head(self.ln(x))


def env_number(name):
    value = os.environ.get(name, "").strip()
    return float(value) if value else None


def train():
    config = load_config()
    seed = int(os.environ.get("RHIZOME_RANDOM_SEED", "42"))
    steps_budget = env_number("RHIZOME_STEPS")
    wall_budget = env_number("RHIZOME_WALL_SECONDS") if steps_budget is None else None
    if steps_budget is None and wall_budget is None:
        steps_budget = DEFAULT_STEPS
    torch.manual_seed(seed)
    src = source.Source()
    model = GPT(config).to(DEVICE)
    num_params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=config["learning_rate"],
                            weight_decay=config["weight_decay"], betas=(0.9, 0.95))
    block, batch = config["block_size"], config["batch_size"]
    generator = torch.Generator().manual_seed(seed)

    def progress(step):
        if steps_budget is not None:
            return step / steps_budget
        return (time.time() - train_start) / wall_budget

    def draw_pool(round_):
        tokens, _ = src.sample(POOL_STREAMS, POOL_LENGTH, [seed & 0xFFFFFFFF, seed >> 32, 1, round_])
        return torch.from_numpy(tokens)

    train_start = time.time()
    step, recent, reported = 0, [], 1
    pool = None
    while progress(step) < 1:
        if step % REFRESH_STEPS == 0:
            pool = draw_pool(step // REFRESH_STEPS)
        rows = torch.randint(POOL_STREAMS, (batch,), generator=generator)
        cols = torch.randint(POOL_LENGTH - block - 1, (batch,), generator=generator)
        window = torch.stack([pool[r, c:c + block + 1] for r, c in zip(rows.tolist(), cols.tolist())]).to(DEVICE)
        frac = progress(step)
        warm = min(1.0, (step + 1) / 100)
        lr = config["learning_rate"] * warm * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0))))
        for group in opt.param_groups:
            group["lr"] = lr
        logits = model(window[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, source.V), window[:, 1:].reshape(-1))
        if not math.isfinite(loss.item()):
            print(f"loss is {loss.item()} at step {step}")
            print("---")
            print("val_bpb: FAIL")
            sys.exit(1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        recent.append(loss.item())
        if progress(step) * 10 >= reported:
            total = f"/{int(steps_budget)}" if steps_budget is not None else ""
            print(f"step {step}{total} loss {sum(recent) / len(recent) / math.log(2):.4f}", flush=True)
            recent, reported = [], int(progress(step) * 10) + 1

    training_seconds = time.time() - train_start
    torch.save({"config": config, "state": model.state_dict()}, MODEL_FILE)
    peak = torch.cuda.max_memory_allocated() / 2**20 if DEVICE == "cuda" else 0.0
    print("---")
    print(f"training_seconds: {training_seconds:.1f}")
    print(f"total_seconds: {time.time() - T0:.1f}")
    print(f"peak_vram_mb: {peak:.1f}")
    print(f"num_steps: {step}")
    print(f"num_params_M: {num_params / 1e6:.3f}")
    print(f"device: {DEVICE}")


@torch.no_grad()
def serve():
    if DEVICE == "cpu":
        torch.set_num_threads(1)  # one small forward per round: extra threads only spin and steal the harness's CPU
    saved = torch.load(MODEL_FILE, map_location=DEVICE)
    model = GPT(saved["config"]).to(DEVICE)
    model.load_state_dict(saved["state"])
    model.eval()
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    header = dict(part.split("=") for part in inp.readline().decode().split()[1:])
    streams = int(header["streams"])
    if int(header["vocab"]) != source.V:
        sys.exit(f"the harness has {header['vocab']} tokens, the model {source.V}")
    # One new token per stream and round, attending over cached keys; when the positions run out,
    # start again from the last half block of tokens, so each round costs one token, not a block.
    seen = torch.zeros((streams, 0), dtype=torch.long, device=DEVICE)
    caches, position = None, model.block_size
    for line in iter(inp.readline, b""):
        new = torch.tensor([int(x) for x in line.split()], dtype=torch.long, device=DEVICE).view(streams, 1)
        if position >= model.block_size:
            context = torch.cat([seen[:, -(model.block_size // 2):], new], dim=1)
            caches = [{} for _ in model.blocks]
            logits = model(context, caches, 0)
            position = context.shape[1]
        else:
            logits = model(new, caches, position)
            position += 1
        seen = torch.cat([seen, new], dim=1)[:, -model.block_size:]
        logp = F.log_softmax(logits[:, -1, :].float(), dim=-1)
        out.write(logp.cpu().numpy().astype("<f4").tobytes())
        out.flush()


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        train()
