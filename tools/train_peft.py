#!/usr/bin/env python3
"""Train snipdex task adapters with PyTorch + peft on a GPU.

The candle trainer (`snipdex train`) is the product's own, CPU-first trainer.
This script is the fast path the developers use on an accelerator: it reads
the exact token layout that `snipdex train --export-tokens` writes (so the
prompt is byte-for-byte what the enrichment worker builds) and trains the
same activated LoRA: the snippet prefix runs through the frozen base model
without the adapter and without gradient, and only the task suffix
(invocation + answer) runs with the adapter and is back-propagated. The
loss is taken on the answer tokens only.

The output folder is a PEFT adapter (adapter_config.json +
adapter_model.safetensors) that snipdex loads like its own.

Usage:
  train_peft.py --gguf-dir DIR --gguf-file F --tokens T.jsonl --out DIR
                [--standard] [--epochs 2] [--rank 8] [--alpha 16] [--lr 2e-4]
                [--dev-tokens D.jsonl] [--bf16] [--base-model ID]

With --dev-tokens, the answer loss on those examples is measured after every
epoch, and the adapter kept is the one from the epoch with the lowest dev
loss (early stopping on held-out packages); train_log.json lists them all.
"""
import argparse
import json
import math
import random
import time

import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM

TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def load_examples(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def pad(rows, value):
    width = max(len(r) for r in rows)
    return [r + [value] * (width - len(r)) for r in rows], [[1] * len(r) + [0] * (width - len(r)) for r in rows]


def batch_loss(model, batch, device, standard):
    """Mean cross-entropy over the answer tokens of a batch of examples."""
    # Inputs are everything but the last answer token; targets are shifted.
    suffix_in = [ex["invocation"] + ex["answer"][:-1] for ex in batch]
    suffix_tgt = [[-100] * (len(ex["invocation"]) - 1) + ex["answer"] for ex in batch]
    if standard:
        # Classic LoRA: the adapter acts on the whole prompt.
        seqs = [ex["prefix"] + s for ex, s in zip(batch, suffix_in)]
        tgts = [[-100] * len(ex["prefix"]) + t for ex, t in zip(batch, suffix_tgt)]
        ids, mask = pad(seqs, 0)
        tgts, _ = pad(tgts, -100)
        ids = torch.tensor(ids, device=device)
        logits = model(input_ids=ids, attention_mask=torch.tensor(mask, device=device)).logits
    else:
        # Activated LoRA: the base model (adapter off, no gradient) builds
        # the prefix cache; the adapter runs over the suffix only. Prefixes
        # are right-padded; pads are masked and positions are explicit, so
        # each suffix continues right after its own prefix.
        pre, pre_mask = pad([ex["prefix"] for ex in batch], 0)
        with torch.no_grad(), model.disable_adapter():
            past = model(
                input_ids=torch.tensor(pre, device=device),
                attention_mask=torch.tensor(pre_mask, device=device),
                use_cache=True,
            ).past_key_values
        suf, suf_mask = pad(suffix_in, 0)
        tgts, _ = pad(suffix_tgt, -100)
        lens = [len(ex["prefix"]) for ex in batch]
        pos = torch.tensor([[n + j for j in range(len(suf[0]))] for n in lens], device=device)
        mask = torch.tensor([pm + sm for pm, sm in zip(pre_mask, suf_mask)], device=device)
        logits = model(
            input_ids=torch.tensor(suf, device=device), attention_mask=mask,
            past_key_values=past, position_ids=pos, use_cache=False,
        ).logits
    tgts = torch.tensor(tgts, device=device)
    return torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), tgts.reshape(-1), ignore_index=-100
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf-dir", required=True)
    ap.add_argument("--gguf-file", required=True)
    ap.add_argument("--tokens", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--standard", action="store_true")
    ap.add_argument("--epochs", type=float, default=2.0)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--alpha", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--micro", type=int, default=32)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--dev-tokens", help="held-out examples for per-epoch dev loss")
    ap.add_argument("--bf16", action="store_true", help="bfloat16 autocast on CUDA")
    ap.add_argument("--max-seconds", type=float, help="stop early after this long")
    ap.add_argument("--base-model", default="HuggingFaceTB/SmolLM2-135M-Instruct",
                    help="model id written as base_model_name_or_path (snipdex refuses an "
                         "adapter whose base is another known model)")
    args = ap.parse_args()

    random.seed(args.seed)
    torch.manual_seed(args.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    base = AutoModelForCausalLM.from_pretrained(
        args.gguf_dir, gguf_file=args.gguf_file, torch_dtype=torch.float32
    ).to(device)
    cfg = LoraConfig(
        r=args.rank, lora_alpha=args.alpha, lora_dropout=0.0, target_modules=TARGETS,
        bias="none", task_type="CAUSAL_LM",
    )
    model = get_peft_model(base, cfg)
    examples = load_examples(args.tokens)
    steps = max(1, math.ceil(len(examples) * args.epochs / args.batch))
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr,
                            weight_decay=0.0)

    def lr_at(step):
        if step < args.warmup:
            return (step + 1) / args.warmup
        return max(0.0, (steps - step) / max(1, steps - args.warmup))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    dev = load_examples(args.dev_tokens) if args.dev_tokens else []
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=args.bf16 and device == "cuda")

    def dev_loss():
        """Mean answer loss over the dev examples (weighted by batch)."""
        model.eval()
        total, count = 0.0, 0
        with torch.no_grad(), autocast:
            for i in range(0, len(dev), args.micro):
                mb = dev[i:i + args.micro]
                value = batch_loss(model, mb, device, args.standard).item()
                if math.isfinite(value):
                    total += value * len(mb)
                    count += len(mb)
        model.train()
        return total / max(1, count)

    per_epoch = max(1, round(len(examples) / args.batch))
    epochs_seen = []
    best = None
    order = []
    t0 = time.time()
    losses = []
    skipped = 0
    model.train()
    for step in range(steps):
        opt.zero_grad(set_to_none=True)
        batch = []
        for _ in range(args.batch):
            if not order:
                order = list(range(len(examples)))
                random.shuffle(order)
            batch.append(examples[order.pop()])
        # Micro-batches bound memory on long prefixes; the loss is averaged
        # per micro-batch, then over the batch.
        total = 0.0
        micro = [batch[i:i + args.micro] for i in range(0, len(batch), args.micro)]
        for mb in micro:
            with autocast:
                loss = batch_loss(model, mb, device, args.standard) / len(micro)
            loss.backward()
            total += loss.item()
        norm = torch.nn.utils.clip_grad_norm_(
            [p for p in model.parameters() if p.requires_grad], 1.0)
        if math.isfinite(total) and torch.isfinite(norm):
            opt.step()
        else:
            # One non-finite batch would turn every weight into NaN: skip it.
            skipped += 1
            print(f"step {step + 1}: non-finite loss or gradient, batch skipped", flush=True)
        sched.step()
        losses.append(total)
        if step % 10 == 0 or step == steps - 1:
            print(f"step {step + 1}/{steps} loss {total:.4f} {time.time() - t0:.0f}s", flush=True)
        out_of_time = args.max_seconds is not None and time.time() - t0 > args.max_seconds
        if dev and ((step + 1) % per_epoch == 0 or step == steps - 1 or out_of_time):
            loss = dev_loss()
            epochs_seen.append({"step": step + 1, "dev_loss": loss})
            print(f"step {step + 1} dev loss {loss:.4f}", flush=True)
            if best is None or loss < best["dev_loss"]:
                best = epochs_seen[-1]
                model.save_pretrained(args.out)
        if out_of_time:
            print(f"stopped after {step + 1} of {steps} steps: --max-seconds", flush=True)
            break
    if not dev:
        model.save_pretrained(args.out)
    # snipdex (like peft's aLoRA) reads `alora_invocation_tokens` to know an
    # adapter is activated; without it the adapter counts as classic LoRA
    # and `snipdex eval` would apply it over the whole prompt.
    cfg_path = f"{args.out}/adapter_config.json"
    with open(cfg_path) as f:
        saved = json.load(f)
    saved["alora_invocation_tokens"] = None if args.standard else examples[0]["invocation"]
    saved["base_model_name_or_path"] = args.base_model
    with open(cfg_path, "w") as f:
        json.dump(saved, f, indent=2)
    with open(f"{args.out}/train_log.json", "w") as f:
        json.dump({"examples": len(examples), "steps": steps, "steps_run": len(losses),
                   "batch": args.batch, "skipped_batches": skipped,
                   "epochs": args.epochs, "rank": args.rank, "alpha": args.alpha, "lr": args.lr,
                   "warmup": args.warmup, "seed": args.seed, "standard": args.standard,
                   "bf16": args.bf16, "dev_losses": epochs_seen, "kept": best,
                   "first_loss": losses[0], "final_loss": sum(losses[-10:]) / len(losses[-10:]),
                   "seconds": time.time() - t0, "device": torch.cuda.get_device_name(0)
                   if device == "cuda" else "cpu"}, f, indent=1)


if __name__ == "__main__":
    main()
