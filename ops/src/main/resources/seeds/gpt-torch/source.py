"""gpt-torch's data source. PROTECTED BY THE SEED: a commit that changes this file is refused by
every node, and the harness always runs the seed's own copy. These numbers define the task and
its floor.

The stream is a sequence of segments over a vocabulary of 256 tokens:

    header  NEW (token 0) with probability 1/2, else COPY_d (token d, d uniform in 1..16)
    content after NEW: words (tokens 18..255) from a first-order Markov chain, ending with END
            (token 17); each word is followed by END with probability 1/8, so 8 words on average
            after COPY_d: exactly the content of the segment d segments back (in the first
            segments of a stream, d is uniform over the segments that exist)

Every random choice can be read back from the tokens, so the entropy rate is exact: the bits of
choice per segment (header, plus the Markov chain's bits when NEW) over the tokens per segment
(10 on average, whether copied or new). A model that only learns the chain scores about twice the
floor; reaching the floor takes copying from up to ~160 tokens back.
"""

import math

import numpy as np

V = 256
NEW = 0
D = 16                      # COPY_1 .. COPY_16 are tokens 1..16
END = D + 1                 # 17
WORD0 = END + 1             # 18
W = V - WORD0               # 238 words
P_NEW = 0.5
P_END = 1.0 / 8
SHARPNESS = 2.5             # scale of the chain's logits: larger, more predictable words
GENERATOR_SEED = 0x5EED
START = W                   # the chain's row for the first word of a content


class Source:
    def __init__(self):
        rng = np.random.RandomState(GENERATOR_SEED)
        # probs[row, k]: row is a word (0..W-1) or START; k is a word (0..W-1) or END (k = W).
        probs = np.zeros((W + 1, W + 1))
        for row in range(W + 1):
            logits = SHARPNESS * rng.standard_normal(W)
            p = np.exp(logits - logits.max())
            p /= p.sum()
            if row == START:
                probs[row, :W] = p              # a content has at least one word
            else:
                probs[row, :W] = (1 - P_END) * p
                probs[row, W] = P_END
        self.probs = probs
        self.cdf = np.cumsum(probs, axis=1)
        self.cdf[:START, W] = 1.0               # rounding never picks past the last possible outcome
        self.cdf[START, W - 1:] = 1.0
        with np.errstate(divide="ignore"):
            self.log_probs = np.log(probs)

    def entropy_rate(self):
        """Bits per token of the best possible predictor, exactly (renewal-reward over segments)."""
        def h(p):
            p = p[p > 0]
            return float(-(p * np.log(p)).sum())
        row_entropy = np.array([h(self.probs[w]) for w in range(W)])
        q = self.probs[:W, :W]                                   # word to word, without END
        visits = np.linalg.solve((np.eye(W) - q).T, self.probs[START, :W])  # expected visits per content
        content_nats = h(self.probs[START]) + float(visits @ row_entropy)
        header_nats = -(P_NEW * math.log(P_NEW) + (1 - P_NEW) * math.log((1 - P_NEW) / D))
        tokens_per_segment = 1 + float(visits.sum()) + 1         # header, words, END
        return (header_nats + P_NEW * content_nats) / tokens_per_segment / math.log(2)

    def sample(self, streams, length, seed):
        """Token streams, each from the start of the process, and the nats the source itself gives
        each token (its true conditional probability). seed: a list of non-negative ints < 2**32."""
        rng = np.random.RandomState(list(seed))
        tokens = np.zeros((streams, length), dtype=np.int64)
        nats = np.zeros((streams, length))
        phase = np.zeros(streams, dtype=np.int64)       # 0 header, 1 new content, 2 copied content
        prev = np.full(streams, START, dtype=np.int64)
        src = np.zeros(streams, dtype=np.int64)
        starts = np.zeros((streams, D), dtype=np.int64)  # where the contents of the last D segments began
        segments = np.zeros(streams, dtype=np.int64)
        rows = np.arange(streams)
        for t in range(length):
            u = rng.random_sample(streams)
            u2 = rng.random_sample(streams)
            header, fresh, copied = phase == 0, phase == 1, phase == 2

            if header.any():
                i = rows[header]
                avail = np.minimum(segments[i], D)
                new = (avail == 0) | (u[i] < P_NEW)
                d = 1 + np.floor(u2[i] * np.maximum(avail, 1)).astype(np.int64)
                tokens[i, t] = np.where(new, NEW, d)
                nats[i, t] = np.where(avail == 0, 0.0,
                                      np.where(new, -math.log(P_NEW),
                                               -np.log((1 - P_NEW) / np.maximum(avail, 1))))
                src[i] = starts[i, (segments[i] - d) % D]
                starts[i, segments[i] % D] = t + 1
                segments[i] += 1
                phase[i] = np.where(new, 1, 2)
                prev[i] = START

            if fresh.any():
                i = rows[fresh]
                k = np.minimum((self.cdf[prev[i]] < u[i, None]).sum(axis=1), W)
                tokens[i, t] = np.where(k == W, END, WORD0 + k)
                nats[i, t] = -self.log_probs[prev[i], k]
                phase[i] = np.where(k == W, 0, 1)
                prev[i] = np.where(k == W, START, k)

            if copied.any():
                i = rows[copied]
                x = tokens[i, src[i]]
                tokens[i, t] = x
                src[i] += 1
                phase[i] = np.where(x == END, 0, 2)
        return tokens, nats


if __name__ == "__main__":
    source = Source()
    print(f"entropy_floor: {source.entropy_rate():.6f}")
    toks, nats = source.sample(256, 2048, [1])
    print(f"sampled_bpb: {nats[:, 512:].mean() / math.log(2):.6f}  (the source's own loss on a sample)")
