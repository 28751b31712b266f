#!/usr/bin/env python3
"""Twin import against fhir.resources, side by side.

twinpath reads FHIR R4 JSON, maps it to RDF and commits it to RocksDB (`twinpath twin import`);
fhir.resources (the Python FHIR models most pipelines use to read FHIR) only parses and validates
the same files into objects. Both read every JSON and NDJSON file of ../shared/patients.

    pip install 'fhir.resources>=7,<8'
    python3 bench/twins.py target/release/twinpath ../shared/patients
"""
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

from fhir.resources.R4B import get_fhir_model_class


def files(root):
    out = sorted(glob.glob(os.path.join(root, "**", "*.json"), recursive=True))
    out += sorted(glob.glob(os.path.join(root, "**", "*.ndjson"), recursive=True))
    return out


def python_read(paths):
    ok = bad = 0
    for path in paths:
        if path.endswith(".ndjson"):
            with open(path) as f:
                docs = [line for line in f if line.strip()]
        else:
            with open(path) as f:
                docs = [f.read()]
        for doc in docs:
            kind = json.loads(doc)["resourceType"]
            try:
                get_fhir_model_class(kind).parse_raw(doc)
                ok += 1
            except Exception:
                bad += 1
    return ok, bad


def twinpath_import(binary, root, data):
    subprocess.run([binary, "--data", data, "twin", "import", root, "--format", "json"],
                   check=True, capture_output=True)


def main():
    binary, root = sys.argv[1], sys.argv[2]
    paths = files(root)
    resources = 0
    for p in paths:
        with open(p) as f:
            resources += sum(1 for l in f if l.strip()) if p.endswith(".ndjson") else 1
    best_py = best_tp = float("inf")
    for _ in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            data = os.path.join(tmp, "d")
            subprocess.run([binary, "--data", data, "init"], check=True, capture_output=True)
            t = time.perf_counter()
            twinpath_import(binary, root, data)
            best_tp = min(best_tp, time.perf_counter() - t)
        t = time.perf_counter()
        ok, bad = python_read(paths)
        best_py = min(best_py, time.perf_counter() - t)
    print(f"{len(paths)} files ({resources} top-level JSON documents)")
    print(f"fhir.resources parse+validate: {best_py:.2f} s ({ok} documents parsed, {bad} refused)")
    print(f"twinpath twin import (read, map to RDF, commit to RocksDB): {best_tp:.2f} s")
    print(f"ratio (fhir.resources / twinpath): {best_py / best_tp:.1f}x")


if __name__ == "__main__":
    main()
