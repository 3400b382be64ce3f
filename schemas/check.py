"""Checks every published schema (schemas/v1/*.json) with Python's `jsonschema`, draft
2020-12: each is a valid schema, uses only formats the draft defines, and accepts the
messages and registry of the conformance vectors that the Rust SDK accepts (the
envelope schema every message a `verify` or `lifecycle` vector accepts, the registry
schema the sample registry, `fixtures/registry-v1.json`). Run from the repository root: `python3 schemas/check.py`
(needs `pip install jsonschema`)."""

import glob
import json
import os
import sys

from jsonschema import Draft202012Validator

ROOT = os.path.dirname(os.path.abspath(__file__))
KNOWN_FORMATS = set(Draft202012Validator.FORMAT_CHECKER.checkers)


def formats(value):
    """Every `format` keyword's value in a schema."""
    if isinstance(value, dict):
        if isinstance(value.get("format"), str):
            yield value["format"]
        for member in value.values():
            yield from formats(member)
    elif isinstance(value, list):
        for item in value:
            yield from formats(item)


def main():
    failures = []
    schemas = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "v1", "*.json"))):
        name = os.path.basename(path)[: -len(".json")]
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
        try:
            Draft202012Validator.check_schema(schema)
        except Exception as error:  # noqa: BLE001 - reported, then the run fails
            failures.append(f"{name}: not a valid draft 2020-12 schema: {error}")
            continue
        unknown = sorted(set(formats(schema)) - KNOWN_FORMATS)
        if unknown:
            failures.append(f"{name}: formats draft 2020-12 does not define: {unknown}")
        schemas[name] = Draft202012Validator(
            schema, format_checker=Draft202012Validator.FORMAT_CHECKER
        )

    vectors = os.path.join(ROOT, "..", "conformance", "vectors")
    checked = 0
    for path in sorted(glob.glob(os.path.join(vectors, "**", "*.json"), recursive=True)):
        with open(path, encoding="utf-8") as f:
            vector = json.load(f)
        if vector.get("operation") not in ("verify", "lifecycle"):
            continue
        results = vector["expected"].get("results", [])
        for message, result in zip(vector["input"]["messages"], results):
            if result.get("outcome") != "accepted" or "text" not in message:
                continue
            for error in schemas["envelope"].iter_errors(json.loads(message["text"])):
                failures.append(f"{vector['id']}: {error.message} at {error.json_path}")
            checked += 1
    with open(os.path.join(vectors, "fixtures", "registry-v1.json"), encoding="utf-8") as f:
        for error in schemas["registry"].iter_errors(json.load(f)):
            failures.append(f"registry-v1: {error.message} at {error.json_path}")

    if checked == 0:
        failures.append("no accepted message found in the vectors: the check checks nothing")
    if failures:
        print("\n".join(failures), file=sys.stderr)
        sys.exit(1)
    print(f"ok: all {len(schemas)} schemas are valid draft 2020-12 for Python's jsonschema, "
          f"with standard formats only; {checked} accepted messages and the sample registry validate")


main()
