#!/usr/bin/env python3
"""Hand-labelling sessions for the adapters' training data.

Where no larger model is reachable, the developers (a large language model)
act as teacher: this script only prints batches of snippets and checks the
format of the labels written for them. No label comes from this script.

    tools/hand_label.py rules                     # the labelling rules and the topic list
    tools/hand_label.py next --name W --pool new --worker K --of N [--n 25]
    tools/hand_label.py add --name W --pool new FILE   # FILE: one JSON label per line
    tools/hand_label.py stats
    tools/hand_label.py samples [--everyday 100]   # after `snipdex dataset join`

Pools:
  new      train-split snippets that no label file covers yet (everyday kinds first)
  dev      dev-split snippets no label covers yet, everyday kinds first (the
           everyday dev sample and the dev loss that picks an epoch)
  relabel  snippets labelled before the v2 rules; only title and tags are written
           again (description and apis are kept from the earlier label)

Labels go to adapters/data/labels/v2-<name>.jsonl. `snipdex dataset join` reads
label files in the order given and a later label of an id replaces an earlier
one, so v2 files (named after the older ones) win.
"""

import argparse
import hashlib
import json
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "adapters" / "data"
LABELS = DATA / "labels"
VOCAB = ROOT / "assets" / "tags.toml"
DATE = "2026-12-03"

ROLE_NEW = (
    "the developers, a large language model, acting as teacher and labelling by hand "
    "in batches (title and tag rules v2, tag vocabulary v1)"
)
ROLE_RELABEL = (
    "the developers, a large language model, acting as teacher and re-labelling title "
    "and tags by hand under the v2 rules (tag vocabulary v1); description and apis "
    "kept from the earlier label"
)

# Languages of the dataset that are not the 'function' kind people keep less.
EVERYDAY_LANGUAGES = {
    "shell", "sql", "dockerfile", "makefile", "yaml", "toml", "ini", "nginx",
    "powershell", "json", "hcl", "cmake", "awk", "regex",
}

LANGUAGE_NAMES = {
    "rust": ["rust", "rs"],
    "python": ["python", "py", "python3", "python2"],
    "javascript": ["javascript", "js", "ecmascript", "es6", "jsx", "mjs"],
    "typescript": ["typescript", "ts", "tsx"],
    "c": ["c", "ansi-c", "c99", "c11"],
    "cpp": ["cpp", "c++", "cxx", "cplusplus"],
    "shell": ["shell", "bash", "sh", "zsh", "posix-sh"],
    "sql": ["sql"],
    "go": ["go", "golang"],
    "java": ["java"],
    "php": ["php"],
    "ruby": ["ruby", "rb"],
    "dockerfile": ["dockerfile"],
    "makefile": ["makefile", "make", "gnu-make"],
    "yaml": ["yaml", "yml"],
    "toml": ["toml"],
    "kotlin": ["kotlin"],
    "csharp": ["csharp", "c#"],
    "lua": ["lua"],
    "perl": ["perl"],
}

RULES = """\
Labelling rules (v2). Read the code; write what a person would want to find it by.

title   2 to 6 words naming what the code does, the way a person labels a snippet:
        "Parse TOML config", "Retry HTTP request with backoff", "Find files over 100 MB",
        "Upsert user email", "Go worker pool". Imperative verb phrase or a noun phrase.
        No filler ("a", "an", "the", "its", "given"), no "function to"/"snippet that"/
        "this code", no word twice, no file-name echo, no single-letter variable names,
        no trailing period, no code.
tags    1 to 3 TOPICS from the vocabulary (print it with `rules`), most specific first,
        then 0 to 3 LIBRARIES the code really imports or calls (as the import names them:
        "requests", "serde", "tokio", "express", "numpy", "psycopg2"); the check accepts a
        library only if its name occurs in the snippet, so a library's own source code
        does not carry its tag. Never the language
        (rust, python, bash, sql... are a field of their own). A synonym of a topic is
        accepted and written as the topic. Standard modules count as libraries only if the
        vocabulary has no topic for them (json -> the topic json).
apis    the modules, functions, types and commands the code actually uses, written as in
        its language ("std::fs::read_to_string", "os.path.join", "fetch", "grep", "jq",
        "CREATE INDEX"); [] when none. Never URLs.
description  only when the snippet has no docstring (the batch says so): one plain
        sentence of 6 to 30 words saying what it does and when it is useful, present tense
        ("Returns ...", "Finds ..."). Leave it out when the batch shows a docstring.

One JSON object per line:
  new/dev:  {"id": ..., "title": ..., "tags": [...], "apis": [...], "description": ... or absent}
  relabel:  {"id": ..., "title": ..., "tags": [...]}   (add "apis" only to correct the old ones)
"""

FILLER = {"a", "an", "the", "its", "their", "your", "given"}
FILLER_OPENINGS = [
    ("function", "to"), ("function", "that"), ("snippet", "to"), ("snippet", "that"),
    ("this", "code"), ("this", "function"), ("code", "to"), ("code", "that"),
    ("method", "to"), ("script", "to"), ("how", "to"), ("helper", "to"),
]
FUNCTION_WORDS = {
    "to", "and", "or", "of", "in", "for", "with", "from", "by", "on", "at", "as", "into",
    "if", "not", "no",
}


def load_jsonl(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line))
    return out


def vocabulary():
    data = tomllib.loads(VOCAB.read_text(encoding="utf-8"))
    canonical = {}
    for topic, synonyms in data["topics"].items():
        canonical[topic] = topic
        for s in synonyms:
            canonical.setdefault(s, topic)
    return data["topics"], canonical


def canonical_topic(tag, canonical):
    if tag in canonical:
        return canonical[tag]
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", "")):
        if tag.endswith(suffix) and tag[: -len(suffix)] + repl in canonical:
            return canonical[tag[: -len(suffix)] + repl]
    return None


def normalize_tag(raw):
    t = raw.strip().lower().lstrip("#")
    t = re.sub(r"[\s_]+", "-", t)
    t = re.sub(r"-+", "-", t).strip("-")
    return t


def is_language(tag, language):
    names = LANGUAGE_NAMES.get(language, [language])
    return tag in names or tag == language


def appears_in_code(tag, code):
    low = code.lower()
    variants = {tag, tag.replace("-", "_"), tag.replace("-", ""), tag.replace("-", ".")}
    return any(v and v in low for v in variants)


def snippets():
    return load_jsonl(DATA / "snippets.jsonl")


def label_files():
    return sorted(LABELS.glob("*.jsonl"))


def labelled_ids():
    old, v2 = {}, {}
    for path in label_files():
        target = v2 if path.name.startswith("v2-") else old
        for row in load_jsonl(path):
            target[row["id"]] = row
    return old, v2


def bucket(snippet_id, of):
    return int(hashlib.blake2b(snippet_id.encode(), digest_size=8).hexdigest(), 16) % of


def is_everyday(s):
    return s.get("kind") == "everyday" or s["language"] in EVERYDAY_LANGUAGES


def pool(name, worker, of):
    old, v2 = labelled_ids()
    rows = snippets()
    if name == "relabel":
        picked = [s for s in rows if s["id"] in old and s["id"] not in v2]
    elif name == "new":
        picked = [
            s for s in rows
            if s["split"] == "train" and s["id"] not in old and s["id"] not in v2
        ]
    elif name == "dev":
        picked = [
            s for s in rows
            if s["split"] == "dev" and s["id"] not in old and s["id"] not in v2
        ]
    else:
        sys.exit(f"unknown pool {name!r}: new, dev or relabel")
    picked = [s for s in picked if bucket(s["id"], of) == worker]
    # The evaluation samples' rows first (re-labelling), then everyday kinds,
    # then a stable shuffle so languages mix.
    samples = set()
    for name in ("test-sample.jsonl", "dev-sample.jsonl"):
        path = DATA / "eval" / name
        if path.exists():
            samples.update(r["id"] for r in load_jsonl(path))
    picked.sort(
        key=lambda s: (
            s["id"] not in samples,
            not is_everyday(s),
            bucket(s["id"] + "#order", 1 << 30),
        )
    )
    return picked, old


def cmd_rules(_args):
    print(RULES)
    topics, _ = vocabulary()
    print("Vocabulary topics (synonyms in assets/tags.toml are also accepted):")
    print(", ".join(sorted(topics)))


def cmd_next(args):
    picked, old = pool(args.pool, args.worker, args.of)
    print(f"# {len(picked)} left in pool {args.pool} for worker {args.worker}/{args.of}")
    for s in picked[: args.n]:
        print("=" * 78)
        print(f"id: {s['id']}")
        print(f"language: {s['language']}   package: {s['package']}   path: {s['path']}")
        if args.pool == "relabel":
            o = old[s["id"]]
            print(f"old title: {o.get('title')}")
            print(f"old tags: {o.get('tags')}")
            print(f"old apis: {o.get('apis')}")
        elif s.get("docstring"):
            print(f"docstring (no description needed): {s['docstring']}")
        else:
            print("docstring: none -> write a description")
        print("-" * 78)
        print(s["code"])


def check(label, s, canonical, pool_name):
    errors = []
    title = label.get("title")
    if not isinstance(title, str) or not title.strip():
        return None, ["title missing"]
    words = title.split()
    lower = [w.lower().strip(",.") for w in words]
    if not 2 <= len(words) <= 6:
        errors.append(f"title has {len(words)} words (2 to 6)")
    if any(w in FILLER for w in lower):
        errors.append("title has a filler word (a, an, the, its, their, your, given)")
    if tuple(lower[:2]) in FILLER_OPENINGS:
        errors.append("title opens with filler")
    repeated = [w for w in set(lower) if lower.count(w) > 1 and w not in FUNCTION_WORDS]
    if repeated:
        errors.append(f"title repeats {repeated}")
    if title.rstrip().endswith(".") or "`" in title or "(" in title:
        errors.append("title ends with a period or contains code")
    tags = label.get("tags")
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        return None, errors + ["tags must be a list of strings"]
    topics, libraries = [], []
    for raw in tags:
        tag = normalize_tag(raw)
        if not tag:
            continue
        if is_language(tag, s["language"]):
            errors.append(f"tag {raw!r} is the language")
            continue
        if tag in canonical:
            kind, value = "topic", canonical[tag]
        elif appears_in_code(tag, s["code"]):
            kind, value = "library", tag
        elif canonical_topic(tag, canonical) is not None:
            kind, value = "topic", canonical_topic(tag, canonical)
        else:
            errors.append(f"tag {raw!r} is neither a vocabulary topic nor a name in the code")
            continue
        target = topics if kind == "topic" else libraries
        if value not in target:
            target.append(value)
    if not 1 <= len(topics) <= 3:
        errors.append(f"{len(topics)} topics {topics} (1 to 3)")
    if len(libraries) > 3:
        errors.append(f"{len(libraries)} libraries (at most 3)")
    out = {"id": s["id"], "title": " ".join(words)}
    if pool_name == "relabel":
        out["description"] = label.get("_old_description")
        apis = label.get("apis", label.get("_old_apis"))
    else:
        apis = label.get("apis")
        desc = label.get("description")
        if s.get("docstring"):
            out["description"] = None
        else:
            if not isinstance(desc, str) or not 6 <= len(desc.split()) <= 30:
                errors.append("description needed: one sentence of 6 to 30 words")
            elif "http://" in desc or "https://" in desc:
                errors.append("description contains a URL")
            out["description"] = desc
    if not isinstance(apis, list) or not all(isinstance(a, str) for a in apis):
        errors.append("apis must be a list of strings")
    elif any("://" in a for a in apis):
        errors.append("apis contain a URL")
    out["tags"] = topics + libraries
    out["apis"] = apis
    out["labeler"] = {
        "kind": "llm",
        "model": "claude",
        "role": ROLE_RELABEL if pool_name == "relabel" else ROLE_NEW,
        "at": DATE,
    }
    return out, errors


def cmd_add(args):
    _, canonical = vocabulary()
    by_id = {s["id"]: s for s in snippets()}
    old, v2 = labelled_ids()
    text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    good, bad = [], 0
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            label = json.loads(line)
        except json.JSONDecodeError as e:
            print(f"line {n}: not JSON: {e}")
            bad += 1
            continue
        sid = label.get("id")
        s = by_id.get(sid)
        if s is None:
            print(f"line {n}: unknown id {sid!r}")
            bad += 1
            continue
        if sid in v2 or any(g["id"] == sid for g in good):
            print(f"line {n}: {sid} already has a v2 label")
            bad += 1
            continue
        if args.pool == "relabel":
            if sid not in old:
                print(f"line {n}: {sid} has no earlier label to re-label")
                bad += 1
                continue
            label["_old_description"] = old[sid].get("description")
            label["_old_apis"] = old[sid].get("apis", [])
        out, errors = check(label, s, canonical, args.pool)
        if errors:
            print(f"line {n}: {sid}: " + "; ".join(errors))
            bad += 1
            continue
        good.append(out)
    target = LABELS / f"v2-{args.name}.jsonl"
    with open(target, "a", encoding="utf-8") as f:
        for out in good:
            f.write(json.dumps(out, ensure_ascii=False) + "\n")
    print(f"kept {len(good)}, rejected {bad} -> {target.relative_to(ROOT)}")
    if bad:
        sys.exit(1)


def cmd_stats(_args):
    old, v2 = labelled_ids()
    by_id = {s["id"]: s for s in snippets()}
    everyday = sum(1 for i in set(old) | set(v2) if i in by_id and is_everyday(by_id[i]))
    print(f"labels before v2: {len(old)}; v2 labels: {len(v2)} "
          f"({sum(1 for i in v2 if i in old)} re-labelled, {sum(1 for i in v2 if i not in old)} new)")
    print(f"labelled ids in all: {len(set(old) | set(v2))}; everyday kinds: {everyday}")
    for path in label_files():
        if path.name.startswith("v2-"):
            print(f"  {path.name}: {len(load_jsonl(path))}")


def cmd_samples(args):
    """Rebuild the evaluation samples from the joined split files, keeping
    their ids (so re-labelled rows carry their new labels), and write the
    everyday dev sample: every labelled dev row of an everyday kind."""
    joined = {}
    for split in ("dev", "test"):
        for row in load_jsonl(DATA / f"{split}.jsonl"):
            joined[row["id"]] = row
    for name in ("test-sample.jsonl", "dev-sample.jsonl"):
        path = DATA / "eval" / name
        ids = [r["id"] for r in load_jsonl(path)]
        missing = [i for i in ids if i not in joined]
        if missing:
            sys.exit(f"{name}: {len(missing)} ids no longer in the joined rows, e.g. {missing[0]}")
        write_jsonl(path, [joined[i] for i in ids])
        print(f"{name}: {len(ids)} rows rebuilt")
    by_id = {s["id"]: s for s in snippets()}
    everyday = [
        r for r in load_jsonl(DATA / "dev.jsonl")
        if r.get("title") and r["id"] in by_id and is_everyday(by_id[r["id"]])
    ]
    everyday.sort(key=lambda r: bucket(r["id"] + "#sample", 1 << 30))
    everyday = everyday[: args.everyday]
    everyday.sort(key=lambda r: r["id"])
    write_jsonl(DATA / "eval" / "dev-everyday.jsonl", everyday)
    print(f"dev-everyday.jsonl: {len(everyday)} rows")


def write_jsonl(path, rows):
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
    tmp.replace(path)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("rules")
    n = sub.add_parser("next")
    for q in (n,):
        q.add_argument("--name", required=True)
        q.add_argument("--pool", required=True)
        q.add_argument("--worker", type=int, default=0)
        q.add_argument("--of", type=int, default=1)
        q.add_argument("--n", type=int, default=25)
    a = sub.add_parser("add")
    a.add_argument("--name", required=True)
    a.add_argument("--pool", required=True)
    a.add_argument("file")
    sub.add_parser("stats")
    m = sub.add_parser("samples")
    m.add_argument("--everyday", type=int, default=100)
    args = p.parse_args()
    {
        "rules": cmd_rules,
        "next": cmd_next,
        "add": cmd_add,
        "stats": cmd_stats,
        "samples": cmd_samples,
    }[args.cmd](args)


if __name__ == "__main__":
    main()
