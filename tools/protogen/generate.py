#!/usr/bin/env python3
"""Generates Freshet's C++ message codecs from src/protocol/schema/*.schema.

Writes, under --out-dir:
  protocol/messages/<snake_name>.h/.cc  one struct with encode/decode per message
  protocol/messages.h                   includes every message header
  protocol/messages/api_list.h          X-macro list of request APIs (for api_keys)
  protocol/testing/samples.h, *.cc      test-only sample filler and round-trip cases

Files whose content is unchanged are not rewritten, so a schema edit recompiles
only what it touches; --stamp names a file touched after every successful run.
--list-outputs prints the relative paths of every output and exits.
"""

import argparse
import os
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emit_messages  # noqa: E402
import emit_samples  # noqa: E402
from model import GenError, MessageModel  # noqa: E402
from schema_format import SchemaError, parse_message  # noqa: E402

SAMPLE_CHUNK = 30  # messages per test-sample source file


def load_messages(schema_dir):
    messages = []
    for name in sorted(os.listdir(schema_dir)):
        if not name.endswith(".schema"):
            continue
        path = os.path.join(schema_dir, name)
        with open(path, encoding="utf-8") as f:
            spec = parse_message(f.read(), path)
        try:
            messages.append(MessageModel(spec))
        except GenError as e:
            raise GenError(f"{path}: {e}") from e
    return messages


def chunks(messages):
    ordered = sorted(messages, key=lambda m: m.snake)
    return [ordered[i:i + SAMPLE_CHUNK] for i in range(0, len(ordered), SAMPLE_CHUNK)]


def render(messages):
    """Every output as {relative path: text}."""
    files = {}
    for m in messages:
        files[f"protocol/messages/{m.snake}.h"] = emit_messages.header(m)
        files[f"protocol/messages/{m.snake}.cc"] = emit_messages.source(m)
    files["protocol/messages.h"] = emit_messages.umbrella(messages)
    files["protocol/messages/api_list.h"] = emit_messages.api_list(messages)
    groups = chunks(messages)
    for i, group in enumerate(groups):
        files[f"protocol/testing/samples_{i}.cc"] = emit_samples.chunk_source(i, group)
    files["protocol/testing/samples.h"] = emit_samples.samples_header(messages)
    files["protocol/testing/message_cases.cc"] = emit_samples.registry_source(len(groups))
    return files


def write_if_changed(path, text):
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return False
    except FileNotFoundError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schema-dir", required=True)
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--stamp")
    parser.add_argument("--list-outputs", action="store_true")
    args = parser.parse_args()

    try:
        files = render(load_messages(args.schema_dir))
    except (GenError, SchemaError) as e:
        sys.exit(f"protogen: {e}")
    if args.list_outputs:
        print(";".join(sorted(files)))
        return
    changed = sum(write_if_changed(os.path.join(args.out_dir, p), t) for p, t in files.items())
    if args.stamp:
        with open(args.stamp, "w", encoding="utf-8") as f:
            f.write(f"{len(files)} files\n")
    print(f"protogen: {len(files)} files, {changed} changed")


if __name__ == "__main__":
    main()
