"""PyTorch eager side of `npm run bench:engine -- --vs-torch` (bench/engine-torch.ts runs it; never run in CI).

Builds the preset's shape with transformers (random weights, float32, CPU), then, in the same order as the engine
bench: `steps` DPO (sigmoid) steps with AdamW and clip_grad_norm_ on the same pair count and row length (the first
step, which allocates AdamW's moments, timed apart), then `generate` with the KV cache, sampling at temperature 1,
`decodeRows` rows from a 1-token prompt, exactly `newTokens` new tokens. Prints one JSON line.
Peak RSS is getrusage's ru_maxrss, read after training (so it is the training peak) and at the end.
"""
import json
import resource
import sys
import time

import torch
import torch.nn.functional as F
import transformers
from transformers import AutoConfig, AutoModelForCausalLM


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    job = json.loads(sys.argv[1])
    hf, work, threads, steps = job["hf"], job["work"], job["threads"], job["steps"]
    train = job.get("train", True)
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    kwargs = {k: v for k, v in hf.items() if k not in ("model_type", "architectures")}
    t0 = time.perf_counter()
    config = AutoConfig.for_model(hf["model_type"], **kwargs)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    load_seconds = time.perf_counter() - t0

    pairs, row, prompt = work["pairs"], work["rowTokens"], work["promptTokens"]
    vocab = hf["vocab_size"]
    g = torch.Generator().manual_seed(2)
    prompts = torch.randint(4, vocab, (pairs, prompt), generator=g)
    chosen = torch.randint(4, vocab, (pairs, row - prompt), generator=g)
    rejected = torch.randint(4, vocab, (pairs, row - prompt), generator=g)
    ids = torch.cat([torch.cat([prompts, chosen], 1), torch.cat([prompts, rejected], 1)], 0)
    inputs, targets = ids[:, :-1], ids[:, 1:]
    mask = torch.zeros_like(targets, dtype=torch.float32)
    mask[:, prompt - 1:] = 1

    def seq_logps() -> torch.Tensor:
        logits = model(input_ids=inputs).logits
        logp = torch.gather(F.log_softmax(logits, -1), 2, targets.unsqueeze(2)).squeeze(2)
        return (logp * mask).sum(1)

    model.train()
    with torch.no_grad():
        ref = seq_logps()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.0)
    beta = 0.1

    def step() -> float:
        t = time.perf_counter()
        logps = seq_logps()
        d = (logps[:pairs] - ref[:pairs]) - (logps[pairs:] - ref[pairs:])
        loss = -F.logsigmoid(beta * d).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return time.perf_counter() - t

    # --no-train: decoding only, like the engine side.
    first = step() if train else None
    times = [step() for _ in range(steps)] if train else []
    peak_train = peak_rss_mib() if train else None

    model.eval()
    rows, new = work["decodeRows"], work["newTokens"]
    start = torch.ones((rows, 1), dtype=torch.long)
    gen = dict(do_sample=True, temperature=1.0, top_k=0, top_p=1.0, max_new_tokens=new, min_new_tokens=new, use_cache=True, pad_token_id=0)
    with torch.no_grad():
        model.generate(start, attention_mask=torch.ones_like(start), **{**gen, "max_new_tokens": 2, "min_new_tokens": 2})
        best, best_cpu = float("inf"), float("inf")
        for _ in range(2):
            t, c = time.perf_counter(), time.process_time()
            out = model.generate(start, attention_mask=torch.ones_like(start), **gen)
            if time.perf_counter() - t < best:
                best, best_cpu = time.perf_counter() - t, time.process_time() - c
    assert out.shape[1] == 1 + new, out.shape
    times_sorted = sorted(times)
    print(json.dumps({
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "attention": getattr(model.config, "_attn_implementation", None),
        "loadSeconds": load_seconds,
        "firstStepSeconds": first,
        "stepSeconds": times_sorted[len(times_sorted) // 2] if times else None,
        "stepSecondsAll": times,
        "decodeTokensPerSec": rows * new / best,
        "decodeCpuSecondsPerToken": best_cpu / (rows * new),
        "peakTrainRssMiB": peak_train,
        "peakRssMiB": peak_rss_mib(),
    }))


if __name__ == "__main__":
    main()
