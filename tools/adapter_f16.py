#!/usr/bin/env python3
"""Store a PEFT adapter's weights as f16 (half the file of f32, which is how
tools/train_peft.py saves them). Reads and writes safetensors directly, so
only numpy is needed.

Usage: adapter_f16.py ADAPTER_DIR [ADAPTER_DIR ...]
"""
import json
import struct
import sys
from pathlib import Path

import numpy as np

DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": None}


def convert(path: Path) -> None:
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    body = raw[8 + n :]
    meta = header.pop("__metadata__", None)
    out_header, chunks, offset = {}, [], 0
    for name in sorted(header):
        info = header[name]
        start, end = info["data_offsets"]
        if info["dtype"] == "F32":
            data = np.frombuffer(body[start:end], dtype="<f4").astype("<f2").tobytes()
            dtype = "F16"
        elif info["dtype"] == "F16":
            data, dtype = body[start:end], "F16"
        else:
            sys.exit(f"{path}: {name} is {info['dtype']}, expected F32 or F16")
        out_header[name] = {"dtype": dtype, "shape": info["shape"],
                            "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    if meta is not None:
        out_header = {"__metadata__": meta, **out_header}
    text = json.dumps(out_header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(chunks))
    tmp.replace(path)
    print(f"{path}: {len(raw)} -> {path.stat().st_size} bytes")


for d in sys.argv[1:]:
    convert(Path(d) / "adapter_model.safetensors")
