#!/usr/bin/env python3
"""One-off import of Apache Kafka's JSON message schemas into Freshet's own schema form.

Reads the top-level request/response/header JSON files of a Kafka source tree's
message definitions plus the metadata/, group-coordinator/ and
transaction-coordinator/ record schemas, keeps only the facts the code generator
needs (no descriptions, no licence text) and writes one `<snake_name>.schema` file
per message into src/protocol/schema/. The format is described in schema_format.py.

Usage: import_schemas.py [--kafka-dir DIR] [--out-dir DIR]
"""

import argparse
import json
import os
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import schema_format  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_KAFKA_DIR = "/work/shared/kafka-protocol"
DEFAULT_OUT_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "src", "protocol", "schema"))
RECORD_SUBDIRS = ["metadata", "group-coordinator", "transaction-coordinator"]


def strip_comments(text):
    """Removes // comments (outside of JSON strings) so the text parses as JSON."""
    out = []
    in_string = False
    i = 0
    while i < len(text):
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\":
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
            out.append(c)
        elif text.startswith("//", i):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def default_text(value):
    """Kafka writes defaults as strings, sometimes as bare JSON numbers or booleans."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def convert_field(spec):
    field = schema_format.Field(
        name=spec["name"],
        type=spec["type"],
        versions=spec["versions"],
        nullable=spec.get("nullableVersions"),
        tagged=spec.get("taggedVersions"),
        tag=spec.get("tag"),
        flexible=spec.get("flexibleVersions"),
        default=default_text(spec.get("default")),
    )
    field.fields = [convert_field(f) for f in spec.get("fields", [])]
    return field


def convert_message(doc):
    message = schema_format.Message(
        kind=doc["type"],
        name=doc["name"],
        api_key=doc.get("apiKey"),
        valid=doc["validVersions"],
        flexible=doc.get("flexibleVersions", "none"),
        unstable=bool(doc.get("latestVersionUnstable", False)),
    )
    message.fields = [convert_field(f) for f in doc["fields"]]
    message.common_structs = [
        schema_format.Struct(name=s["name"], versions=s["versions"],
                             fields=[convert_field(f) for f in s["fields"]])
        for s in doc.get("commonStructs", [])
    ]
    return message


def input_files(kafka_dir):
    dirs = [kafka_dir] + [os.path.join(kafka_dir, d) for d in RECORD_SUBDIRS]
    for d in dirs:
        for name in sorted(os.listdir(d)):
            if name.endswith(".json"):
                yield os.path.join(d, name)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kafka-dir", default=DEFAULT_KAFKA_DIR)
    parser.add_argument("--out-dir", default=DEFAULT_OUT_DIR)
    args = parser.parse_args()

    os.makedirs(args.out_dir, exist_ok=True)
    written = set()
    for path in input_files(args.kafka_dir):
        with open(path, encoding="utf-8") as f:
            doc = json.loads(strip_comments(f.read()))
        message = convert_message(doc)
        file_name = schema_format.snake_case(message.name) + ".schema"
        if file_name in written:
            sys.exit(f"two messages map to {file_name}")
        written.add(file_name)
        with open(os.path.join(args.out_dir, file_name), "w", encoding="utf-8") as f:
            f.write(schema_format.format_message(message))
    for stale in sorted(set(os.listdir(args.out_dir)) - written):
        if stale.endswith(".schema"):
            os.remove(os.path.join(args.out_dir, stale))
    print(f"wrote {len(written)} schema files to {args.out_dir}")


if __name__ == "__main__":
    main()
