"""Freshet's message schema form: the data model, its text format, and helpers.

One `<snake_name>.schema` file per message. Lines starting with '#' are comments.
The first non-comment line names the message:

    <kind> <Name> [apiKey=<n>] valid=<versions> flexible=<versions> [unstable]

where kind is request, response, header, data or metadata, and `unstable` marks
a latest version that Kafka does not advertise by default. Each field is one
line, indented two spaces per nesting level; the fields of a struct-typed field
follow it, one level deeper:

    <Name> <type> <versions> [nullable=<v>] [tagged=<v> tag=<n>] [flexible=<v>] [default=<json>]

`type` is bool, int8, int16, uint16, int32, uint32, int64, float64, string,
bytes, uuid, records, a struct name, or `[]` followed by one of those. A struct
shared by several fields is declared once at column 0 after the message's fields:

    struct <Name> <versions>

followed by its fields. Versions are `N+`, `N-M`, `N` or `none`. `default` is a
JSON string holding Kafka's default text ("null", "-1", "0x7fffffff", "true", "").
"""

import json
import re
from dataclasses import dataclass, field as dc_field
from typing import List, Optional

PRIMITIVES = {"bool", "int8", "int16", "uint16", "int32", "uint32", "int64", "float64",
              "string", "bytes", "uuid", "records"}
KINDS = {"request", "response", "header", "data", "metadata"}


@dataclass
class Field:
    name: str
    type: str
    versions: str
    nullable: Optional[str] = None
    tagged: Optional[str] = None
    tag: Optional[int] = None
    flexible: Optional[str] = None
    default: Optional[str] = None
    fields: List["Field"] = dc_field(default_factory=list)

    @property
    def is_array(self):
        return self.type.startswith("[]")

    @property
    def element_type(self):
        return self.type[2:] if self.is_array else self.type

    @property
    def is_struct(self):
        return self.element_type not in PRIMITIVES


@dataclass
class Struct:
    name: str
    versions: str
    fields: List[Field] = dc_field(default_factory=list)


@dataclass
class Message:
    kind: str
    name: str
    api_key: Optional[int]
    valid: str
    flexible: str
    unstable: bool = False
    fields: List[Field] = dc_field(default_factory=list)
    common_structs: List[Struct] = dc_field(default_factory=list)


def snake_case(name):
    """TopicData -> topic_data, TopicID -> topic_id, ZkMigrationReady -> zk_migration_ready."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


def parse_versions(text):
    """Returns (low, high) with high None for open ranges, or None for 'none'."""
    text = text.strip()
    if text == "none":
        return None
    if text.endswith("+"):
        return (int(text[:-1]), None)
    if "-" in text:
        low, high = text.split("-")
        return (int(low), int(high))
    return (int(text), int(text))


# ---- writing -----------------------------------------------------------------

def _format_field(f, depth, out):
    parts = [f.name, f.type, f.versions]
    if f.nullable is not None:
        parts.append(f"nullable={f.nullable}")
    if f.tagged is not None:
        parts.append(f"tagged={f.tagged}")
    if f.tag is not None:
        parts.append(f"tag={f.tag}")
    if f.flexible is not None:
        parts.append(f"flexible={f.flexible}")
    if f.default is not None:
        parts.append("default=" + json.dumps(f.default))
    out.append("  " * depth + " ".join(parts))
    for child in f.fields:
        _format_field(child, depth + 1, out)


def format_message(m):
    header = [m.kind, m.name]
    if m.api_key is not None:
        header.append(f"apiKey={m.api_key}")
    header += [f"valid={m.valid}", f"flexible={m.flexible}"]
    if m.unstable:
        header.append("unstable")
    out = [f"# {m.name}: facts from Apache Kafka's message schema; format in "
           "tools/protogen/schema_format.py.", " ".join(header)]
    for f in m.fields:
        _format_field(f, 1, out)
    for s in m.common_structs:
        out.append(f"struct {s.name} {s.versions}")
        for f in s.fields:
            _format_field(f, 1, out)
    return "\n".join(out) + "\n"


# ---- reading -----------------------------------------------------------------

class SchemaError(Exception):
    pass


def _parse_field(text, where):
    default = None
    if " default=" in text:
        text, default_json = text.split(" default=", 1)
        default = json.loads(default_json)
    tokens = text.split()
    if len(tokens) < 3:
        raise SchemaError(f"{where}: field needs a name, a type and versions")
    f = Field(name=tokens[0], type=tokens[1], versions=tokens[2], default=default)
    for token in tokens[3:]:
        key, _, value = token.partition("=")
        if key == "nullable":
            f.nullable = value
        elif key == "tagged":
            f.tagged = value
        elif key == "tag":
            f.tag = int(value)
        elif key == "flexible":
            f.flexible = value
        else:
            raise SchemaError(f"{where}: unknown field attribute {token!r}")
    return f


def parse_message(text, source="<schema>"):
    message = None
    stack = []  # (depth, field list to append to, owning field or None)
    for number, line in enumerate(text.splitlines(), 1):
        where = f"{source}:{number}"
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        if indent % 2:
            raise SchemaError(f"{where}: odd indentation")
        depth = indent // 2
        tokens = line.split()
        if depth == 0 and message is None:
            if tokens[0] not in KINDS:
                raise SchemaError(f"{where}: unknown message kind {tokens[0]!r}")
            attrs = dict(t.partition("=")[::2] for t in tokens[2:])
            message = Message(kind=tokens[0], name=tokens[1],
                              api_key=int(attrs["apiKey"]) if "apiKey" in attrs else None,
                              valid=attrs["valid"], flexible=attrs.get("flexible", "none"),
                              unstable="unstable" in attrs)
            stack = [(1, message.fields)]
            continue
        if message is None:
            raise SchemaError(f"{where}: field before the message line")
        if depth == 0:
            if tokens[0] != "struct" or len(tokens) != 3:
                raise SchemaError(f"{where}: expected 'struct <Name> <versions>'")
            s = Struct(name=tokens[1], versions=tokens[2])
            message.common_structs.append(s)
            stack = [(1, s.fields)]
            continue
        while stack and stack[-1][0] > depth:
            stack.pop()
        if not stack or stack[-1][0] != depth:
            raise SchemaError(f"{where}: unexpected indentation")
        f = _parse_field(line.strip(), where)
        stack[-1][1].append(f)
        stack.append((depth + 1, f.fields))
    if message is None:
        raise SchemaError(f"{source}: no message line")
    return message
