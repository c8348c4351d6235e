"""Resolved view of a parsed schema for code generation.

Turns a schema_format.Message into structs in declaration order (nested before
use, all flattened into the message's scope), with every field's version sets
resolved against the versions its struct can be used in, plus the C++ names,
types and default initialisers of the generated code.
"""

from schema_format import parse_versions, snake_case

CPP_KEYWORDS = set("""
alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t
char32_t class compl concept const consteval constexpr constinit const_cast continue co_await
co_return co_yield decltype default delete do double dynamic_cast else enum explicit export
extern false float for friend goto if inline int long mutable namespace new noexcept not not_eq
nullptr operator or or_eq private protected public register reinterpret_cast requires return
short signed sizeof static static_assert static_cast struct switch template this thread_local
throw true try typedef typeid typename union unsigned using virtual void volatile wchar_t while
xor xor_eq""".split())
RESERVED_MEMBERS = {"decode", "encode"}
RESERVED_TYPES = {"Reader", "Writer", "Records", "Uuid", "DecodeError"}

CPP_TYPES = {
    "bool": "bool", "int8": "int8_t", "int16": "int16_t", "uint16": "uint16_t",
    "int32": "int32_t", "uint32": "uint32_t", "int64": "int64_t", "float64": "double",
    "string": "std::string", "bytes": "std::vector<uint8_t>", "uuid": "Uuid", "records": "Records",
}
INTEGER_TYPES = {"int8", "int16", "uint16", "int32", "uint32", "int64"}
# Reader/Writer method for fixed-width types, and their size on the wire.
FIXED_IO = {"bool": ("boolean", 1), "int8": ("i8", 1), "int16": ("i16", 2), "uint16": ("u16", 2),
            "int32": ("i32", 4), "uint32": ("u32", 4), "int64": ("i64", 8), "float64": ("f64", 8),
            "uuid": ("uuid", 16)}


class GenError(Exception):
    pass


def version_set(text, domain):
    """The versions of `text` ('3+', '0-2', 'none', None) that lie in `domain`."""
    if text is None:
        return frozenset()
    r = parse_versions(text)
    if r is None:
        return frozenset()
    low, high = r
    return frozenset(v for v in domain if v >= low and (high is None or v <= high))


def condition(versions, context):
    """C++ boolean expression over `version` that is true for `versions` when
    `version` is known to be in `context`: "true", "false" or comparisons."""
    versions = versions & context
    if not versions:
        return "false"
    if versions == context:
        return "true"
    low, high = min(context), max(context)
    runs, ordered = [], sorted(versions)
    start = prev = ordered[0]
    for v in ordered[1:]:
        if v != prev + 1:
            runs.append((start, prev))
            start = v
        prev = v
    runs.append((start, prev))
    parts = []
    for a, b in runs:
        terms = []
        if a > low:
            terms.append(f"version >= {a}")
        if b < high:
            terms.append(f"version <= {b}")
        if a == b and len(terms) == 2:
            terms = [f"version == {a}"]
        parts.append(" && ".join(terms))
    if len(parts) == 1:
        return parts[0]
    return " || ".join(f"({p})" if "&&" in p else p for p in parts)


def member_name(field_name):
    name = snake_case(field_name)
    if name in CPP_KEYWORDS or name in RESERVED_MEMBERS:
        name += "_"
    return name


def cpp_int_literal(value, kafka_type):
    """A literal that is valid even for the most negative value of the type."""
    if kafka_type == "int64" and value == -(2 ** 63):
        return "-9223372036854775807LL - 1"
    if kafka_type == "int32" and value == -(2 ** 31):
        return "-2147483647 - 1"
    if kafka_type == "int64" and not -(2 ** 31) <= value < 2 ** 31:
        return f"{value}LL"
    return str(value)


def parse_int_default(text):
    text = text.strip()
    negative = text.startswith("-")
    digits = text[1:] if negative else text
    if digits.lower().startswith("0x"):
        value = int(digits, 16)
    elif len(digits) > 1 and digits.startswith("0"):
        value = int(digits, 8)
    else:
        value = int(digits)
    return -value if negative else value


def cpp_string_literal(text):
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif 32 <= ord(ch) < 127:
            out.append(ch)
        else:
            out.extend(f"\\x{b:02x}" for b in ch.encode("utf-8"))
    return '"' + "".join(out) + '"'


class FieldModel:
    def __init__(self, spec, owner):
        self.spec = spec
        self.owner = owner
        self.name = spec.name
        self.member = member_name(spec.name)
        self.is_array = spec.is_array
        self.element = spec.element_type   # Kafka type name of the element (or the field)
        self.is_struct = spec.is_struct
        self.tag = spec.tag
        self.default_text = spec.default
        self.struct = None                 # StructModel when is_struct
        self.present = frozenset()         # versions, within the owner's domain
        self.tagged = frozenset()
        self.untagged = frozenset()
        self.nullable = frozenset()
        self.flexible = frozenset()        # versions using compact encodings
        self.has_flexible_override = spec.flexible is not None
        # Nullable in any version -> std::optional (records are always optional).
        self.optional = ((spec.nullable is not None and parse_versions(spec.nullable) is not None)
                         or self.element == "records")
        if self.element == "records" and self.is_array:
            raise GenError(f"{spec.name}: arrays of records are not supported")

    def resolve(self, message):
        domain = self.owner.domain
        spec = self.spec
        self.present = version_set(spec.versions, domain)
        self.tagged = version_set(spec.tagged, domain) & self.present
        self.untagged = self.present - self.tagged
        self.nullable = version_set(spec.nullable, domain) & self.present
        flexible_text = spec.flexible if spec.flexible is not None else message.flexible_text
        self.flexible = version_set(flexible_text, domain)
        if self.tagged and (self.tag is None or not self.tagged <= message.flexible):
            raise GenError(f"{self.owner.name}.{self.name}: tagged outside flexible versions or no tag")

    # ---- C++ types -----------------------------------------------------------

    @property
    def element_cpp(self):
        return self.struct.name if self.is_struct else CPP_TYPES[self.element]

    @property
    def value_cpp(self):
        """The C++ type of the value without the optional wrapper."""
        return f"std::vector<{self.element_cpp}>" if self.is_array else self.element_cpp

    @property
    def member_cpp(self):
        return f"std::optional<{self.value_cpp}>" if self.optional else self.value_cpp

    @property
    def default_is_null(self):
        return self.default_text == "null" or self.element == "records"

    def initializer(self):
        """Default member initialiser text (including '=' or braces), or ''."""
        d = self.default_text
        if self.optional:
            if self.default_is_null:
                return ""
            if self.element == "string" and not self.is_array and d:
                return " = " + cpp_string_literal(d)
            return "{std::in_place}"
        if self.is_array or self.is_struct or self.element in ("bytes", "uuid"):
            return ""
        if self.element == "string":
            return f" = {cpp_string_literal(d)}" if d else ""
        if self.element == "bool":
            return " = true" if d == "true" else " = false"
        if self.element == "float64":
            return f" = {float(d) if d else 0.0!r}"
        return " = " + cpp_int_literal(parse_int_default(d) if d else 0, self.element)

    def non_default_expr(self, x):
        """C++ expression: member `x` differs from its default (tagged fields are
        written only then)."""
        d = self.default_text
        if self.optional:
            if self.default_is_null:
                return f"{x}.has_value()"
            if self.element == "string" and not self.is_array and d:
                return f"(!{x} || *{x} != {cpp_string_literal(d)})"
            if self.is_struct and not self.is_array:
                return f"(!{x} || !(*{x} == {self.struct.name}{{}}))"
            return f"(!{x} || !{x}->empty())"
        if self.is_array or self.element in ("bytes",):
            return f"!{x}.empty()"
        if self.is_struct:
            return f"!({x} == {self.struct.name}{{}})"
        if self.element == "uuid":
            return f"!{x}.is_zero()"
        if self.element == "string":
            return f"{x} != {cpp_string_literal(d)}" if d else f"!{x}.empty()"
        return f"{x} != {self.initializer()[3:]}"


class StructModel:
    def __init__(self, name, fields, message):
        if name in RESERVED_TYPES:
            raise GenError(f"{message.name}: struct name {name} collides with a wire type")
        self.name = name
        self.qualified = name if name == message.name else f"{message.name}::{name}"
        self.fields = [FieldModel(f, self) for f in fields]
        self.domain = frozenset()
        members = [f.member for f in self.fields]
        if len(set(members)) != len(members):
            raise GenError(f"{message.name}.{name}: two fields map to the same member name")

    @property
    def tagged_fields(self):
        return sorted((f for f in self.fields if f.tagged), key=lambda f: f.tag)


class MessageModel:
    def __init__(self, spec):
        self.spec = spec
        self.name = spec.name
        self.kind = spec.kind
        self.api_key = spec.api_key
        self.snake = snake_case(spec.name)
        low, high = parse_versions(spec.valid)
        self.min_version, self.max_version = low, high
        self.versions = frozenset(range(low, high + 1))
        self.flexible_text = spec.flexible
        self.flexible = version_set(spec.flexible, self.versions)
        self.first_flexible = min(self.flexible) if self.flexible else -1
        self.unstable = spec.unstable

        self.root = StructModel(spec.name, spec.fields, self)
        self.root.domain = self.versions
        common = {s.name: StructModel(s.name, s.fields, self) for s in spec.common_structs}
        self.structs = {}  # name -> StructModel, every nested struct
        self._bind_structs(self.root, common)
        self._resolve_domains()
        self.ordered = self._declaration_order()

    def _bind_structs(self, struct, common):
        for f in struct.fields:
            if not f.is_struct:
                continue
            if f.spec.fields:
                if f.element in self.structs or f.element in common:
                    raise GenError(f"{self.name}: struct {f.element} defined twice")
                nested = StructModel(f.element, f.spec.fields, self)
                self.structs[f.element] = nested
                self._bind_structs(nested, common)
            elif f.element in common:
                if f.element not in self.structs:
                    self.structs[f.element] = common[f.element]
                    self._bind_structs(common[f.element], common)
            else:
                raise GenError(f"{self.name}.{f.name}: unknown struct type {f.element}")
            f.struct = self.structs[f.element]
            if f.struct.name == self.name:
                raise GenError(f"{self.name}: nested struct named like the message")

    def all_structs(self):
        return [self.root] + list(self.structs.values())

    def _resolve_domains(self):
        # A struct's domain is every version in which some field of its type is present.
        changed = True
        while changed:
            changed = False
            for s in self.all_structs():
                for f in s.fields:
                    f.resolve(self)
                    if f.struct is not None and not f.present <= f.struct.domain:
                        f.struct.domain = f.struct.domain | f.present
                        changed = True
        for s in self.all_structs():
            for f in s.fields:
                f.resolve(self)

    def _declaration_order(self):
        """Nested structs, each after the structs its members use."""
        order, seen = [], set()

        def visit(s):
            for f in s.fields:
                if f.struct is not None and f.struct.name not in seen:
                    seen.add(f.struct.name)
                    visit(f.struct)
                    order.append(f.struct)
        visit(self.root)
        return order
