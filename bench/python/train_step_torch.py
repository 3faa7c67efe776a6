"""PyTorch anchor for the training-step benchmark (issue 5): the same Llama-style model as
dev.jllm.train.StepBenchmark (hidden 512, 8 layers, 8 heads, intermediate 1408, vocab 32000, untied head),
one full step = forward + backward + AdamW, fp32, batch 8 x sequence 256. Debian's python3-torch; default threads
(the fastest configuration on this machine according to our field notes).

    python3 bench/python/train_step_torch.py [steps] [bf16]

With "bf16" the step runs as transformers' TrainingArguments(bf16=True) runs it on a CPU: the forward pass under
torch.autocast("cpu", dtype=torch.bfloat16), float32 master weights and optimizer (the anchor for jllm's --bf16).
"""
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

H, L, NH, FF, V, T, B = 512, 8, 8, 1408, 32000, 256, 8
HD = H // NH


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return self.weight * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = RMSNorm(H), RMSNorm(H)
        self.q, self.k, self.v, self.o = (nn.Linear(H, H, bias=False) for _ in range(4))
        self.gate, self.up = nn.Linear(H, FF, bias=False), nn.Linear(H, FF, bias=False)
        self.down = nn.Linear(FF, H, bias=False)

    def forward(self, x, cos, sin, mask):
        h = self.ln1(x)
        q = self.q(h).view(B, T, NH, HD).transpose(1, 2)
        k = self.k(h).view(B, T, NH, HD).transpose(1, 2)
        v = self.v(h).view(B, T, NH, HD).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        att = (q @ k.transpose(-1, -2)) / math.sqrt(HD) + mask
        y = F.softmax(att, dim=-1) @ v
        x = x + self.o(y.transpose(1, 2).reshape(B, T, H))
        h = self.ln2(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(V, H)
        self.blocks = nn.ModuleList(Block() for _ in range(L))
        self.norm = RMSNorm(H)
        self.head = nn.Linear(H, V, bias=False)
        inv = 1.0 / (10000 ** (torch.arange(0, HD, 2).float() / HD))
        f = torch.outer(torch.arange(T).float(), inv)
        emb = torch.cat((f, f), dim=-1)
        self.cos, self.sin = emb.cos(), emb.sin()
        self.mask = torch.full((T, T), float("-inf")).triu(1)

    def forward(self, ids):
        x = self.embed(ids)
        for blk in self.blocks:
            x = blk(x, self.cos, self.sin, self.mask)
        return self.head(self.norm(x))


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    bf16 = len(sys.argv) > 2 and sys.argv[2] == "bf16"
    torch.manual_seed(0)
    model = Model()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    ids = torch.randint(0, V, (B, T))
    params = sum(p.numel() for p in model.parameters())
    flops_per_token = 6.0 * (params - V * H) + 6.0 * L * T * H

    def step():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(ids)
        loss = F.cross_entropy(logits[:, :-1].float().reshape(-1, V), ids[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)

    step()  # warm-up
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    sec = (time.perf_counter() - t0) / steps
    tps = B * T / sec
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, {'bf16 autocast' if bf16 else 'fp32'}: {params} params, "
          f"step {sec:.3f} s, {tps:.1f} tokens/s, {tps * flops_per_token / 1e9:.1f} GFLOP/s "
          f"({100 * tps * flops_per_token / 230e9:.0f}% of 230 GFLOP/s)")


if __name__ == "__main__":
    main()
