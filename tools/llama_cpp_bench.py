#!/usr/bin/env python3
"""Time llama.cpp on exactly the workload of `snipdex bench-enrich`.

snipdex's benchmark writes what it ran with `--workload FILE`: for each
snippet the prefix tokens (system message and snippet, read once by the base
model) and, for each of the four tasks, the suffix tokens (the task's
invocation) and the answer tokens the model decoded. This script replays
that on llama.cpp through llama-cpp-python: one prefill of the prefix per
snippet, then for each task a rewind to the end of the prefix (the prefix's
KV cache is kept), the suffix, and one single-token decode step per answer
token snipdex fed back (`decode_steps`), feeding snipdex's own answer tokens
so both runtimes do the same steps over the same text. llama.cpp runs the
base model only: applying four LoRA adapters per snippet is snipdex's extra
work, so the comparison is conservative for snipdex.

It builds nothing. It needs llama-cpp-python, built for this CPU:

    CMAKE_ARGS=-DGGML_NATIVE=ON pip install llama-cpp-python==0.3.36

Usage (the same model file snipdex uses, the same machine, one run of both):

    snipdex bench-enrich -n 6 --skip-unshared --workload /tmp/workload.json
    tools/llama_cpp_bench.py --model MODEL.gguf --workload /tmp/workload.json

It prints per-snippet times in snipdex's terms (all four fields of one
snippet, and the prefill alone), means over the snippets after one warm-up
snippet, as bench-enrich does; `--json` prints them as JSON.
"""
import argparse
import json
import os
import statistics
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="the GGUF file snipdex used")
    p.add_argument("--workload", required=True, help="bench-enrich --workload output")
    p.add_argument(
        "--threads",
        type=int,
        default=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        help="threads for decode and prefill (default: the cores this process may use)",
    )
    p.add_argument("--ctx", type=int, default=2048, help="context size (snipdex uses the model's)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    return p.parse_args()


def main():
    args = parse_args()
    try:
        from llama_cpp import Llama
    except ImportError:
        sys.exit(
            "llama-cpp-python is not installed: "
            "CMAKE_ARGS=-DGGML_NATIVE=ON pip install llama-cpp-python==0.3.36"
        )
    with open(args.workload, encoding="utf-8") as f:
        workload = json.load(f)
    snippets = workload["snippets"]
    if not snippets:
        sys.exit("the workload has no snippets")

    started = time.perf_counter()
    llm = Llama(
        model_path=args.model,
        n_ctx=args.ctx,
        n_batch=512,
        n_threads=args.threads,
        n_threads_batch=args.threads,
        logits_all=False,
        verbose=False,
    )
    load_ms = (time.perf_counter() - started) * 1000

    def one(snippet):
        """All four tasks of one snippet: (total ms, prefill ms, steps)."""
        t0 = time.perf_counter()
        llm.reset()
        llm.eval(snippet["prefix"])
        prefill_ms = (time.perf_counter() - t0) * 1000
        steps = 0
        for task in snippet["tasks"]:
            # Rewind to the end of the prefix: llama-cpp-python drops the
            # cache past n_tokens on the next eval.
            llm.n_tokens = len(snippet["prefix"])
            llm.eval(task["suffix"])
            for token in task["answer"][: task["decode_steps"]]:
                llm.eval([token])
                steps += 1
        return (time.perf_counter() - t0) * 1000, prefill_ms, steps

    one(snippets[0])  # warm-up, as bench-enrich warms up on one snippet
    totals, prefills, steps = [], [], []
    for snippet in snippets:
        total, prefill, n = one(snippet)
        totals.append(total)
        prefills.append(prefill)
        steps.append(n)

    report = {
        "runtime": "llama.cpp (llama-cpp-python)",
        "threads": args.threads,
        "snippets": len(snippets),
        "load_ms": round(load_ms),
        "prefix_tokens": statistics.mean(len(s["prefix"]) for s in snippets),
        "decode_steps": statistics.mean(steps),
        "shared_ms": statistics.mean(totals),
        "prefill_ms": statistics.mean(prefills),
        "snippets_per_minute": 60000 / max(statistics.mean(totals), 1e-9),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"runtime          {report['runtime']}, {args.threads} threads")
    print(f"load             {report['load_ms']} ms")
    print(
        f"snippets         {report['snippets']} (~{report['prefix_tokens']:.0f} prompt tokens, "
        f"{report['decode_steps']:.0f} decode steps)"
    )
    print(
        f"shared prefill   {report['shared_ms']:.0f} ms per snippet "
        f"(prefill {report['prefill_ms']:.0f} ms)"
    )
    print(f"throughput       {report['snippets_per_minute']:.1f} snippets/min")


if __name__ == "__main__":
    main()
