"""A faster parser for botocore's "json" protocol (GameLift), with botocore's exact results.

botocore turns a JSON response into its parsed form by walking the output shape node by node,
looking up a handler by name at every value (`getattr(self, f"_handle_{type}")`) and re-reading
each structure's members. For a page of 100 game sessions that walk cost more CPU than the
HTTP exchange and the JSON decoding together, and paging threads spend it holding the GIL the UI
thread needs. Here each shape is compiled once into a small converter that does the same
thing: members read under their serialized names and kept when not null, unknown keys dropped,
timestamps and blobs through the parser's own callables, lists and maps element by element.
Shapes whose rules are rarer (documents, tagged unions) go to botocore's own handlers.

Installed through the documented component: a `ResponseParserFactory` registered on the
botocore session before clients are made (see `tui.aws.session`). The parsed results are
checked against botocore's for every read operation the simulator answers
(tests/test_fast_parse.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol, cast

from botocore.model import ListShape, MapShape, Shape, StructureShape
from botocore.parsers import JSONParser, ResponseParser, ResponseParserFactory

Converter = Callable[[Any], Any]


class ParserInternals(Protocol):
    """The parts of botocore's JSONParser this module builds on, which are private and so not in
    botocore-stubs; tests/test_fast_parse.py fails if a botocore release changes them."""

    _timestamp_parser: Converter
    _blob_parser: Converter

    def _parse_body_as_json(self, body_contents: bytes) -> Any: ...

    def _handle_structure(self, shape: Shape, value: Any) -> Any: ...


class FastJSONParser(JSONParser):
    def __init__(self, compiled: ShapeCompiler, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._compiled = compiled
        # A JSONParser has these members at run time; the stubs only know the public API.
        self._internals = cast(ParserInternals, self)

    def _handle_json_body(self, raw_body: bytes, shape: Shape) -> Any:
        parsed_json = self._internals._parse_body_as_json(raw_body)
        return self._compiled.converter(shape, self._internals)(parsed_json)


class ShapeCompiler:
    """Converters per shape, shared by the parsers one factory makes (one per response)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()  # compiling a shape compiles its members
        # id(shape) -> (shape, converter); the shape is kept so that its id stays its own.
        self._cache: dict[int, tuple[Shape, Converter | None]] = {}

    def converter(self, shape: Shape, parser: ParserInternals) -> Converter:
        return self._compile(shape, parser) or _identity

    def _compile(self, shape: Shape, parser: ParserInternals) -> Converter | None:
        """None means "the value as it is" (botocore's default handler)."""
        hit = self._cache.get(id(shape))
        if hit is not None and hit[0] is shape:
            return hit[1]
        with self._lock:
            # A recursive shape meets itself while compiling: refer to it by lookup. (Only
            # structures, lists and maps recur, and their converters are never None.)
            def by_lookup(value: Any) -> Any:
                return (self._cache[id(shape)][1] or _identity)(value)

            self._cache[id(shape)] = (shape, by_lookup)
            converter = self._build(shape, parser)
            self._cache[id(shape)] = (shape, converter)
        return converter

    def _build(self, shape: Shape, parser: ParserInternals) -> Converter | None:
        # botocore's ShapeResolver makes every structure, list and map shape of these classes.
        kind = shape.type_name
        if isinstance(shape, StructureShape):
            if shape.is_document_type:
                return None
            if shape.is_tagged_union:
                return lambda value: parser._handle_structure(shape, value)
            return self._structure(shape, parser)
        if isinstance(shape, ListShape):
            item = self._compile(shape.member, parser)
            if item is None:
                return list
            return lambda node: [None if x is None else item(x) for x in node]
        if isinstance(shape, MapShape):
            key = self._compile(shape.key, parser)
            val = self._compile(shape.value, parser)
            if key is None and val is None:
                return dict
            key_c, val_c = key or _identity, val or _identity
            return lambda node: {key_c(k): val_c(v) for k, v in node.items()}
        if kind == "timestamp":
            return parser._timestamp_parser
        if kind == "blob":
            return parser._blob_parser
        # Strings, numbers, booleans: JSONParser has no handler for them (should a later botocore
        # add one, it is used).
        handler = getattr(parser, f"_handle_{kind}", None)
        if handler is not None:
            return lambda value: handler(shape, value)
        return None

    def _structure(self, shape: StructureShape, parser: ParserInternals) -> Converter:
        # serialized name -> (member name, converter)
        members = {member.serialization.get("name", name): (name, self._compile(member, parser))
                   for name, member in shape.members.items()}

        def convert(value: Any) -> Any:
            if value is None:
                return None
            out = {}
            for key, raw in value.items():
                spec = members.get(key)
                if spec is not None and raw is not None:
                    name, conv = spec
                    out[name] = raw if conv is None else conv(raw)
            return out

        return convert


def _identity(value: Any) -> Any:
    return value


class FastResponseParserFactory(ResponseParserFactory):
    """botocore's factory, with `FastJSONParser` for the "json" protocol."""

    def __init__(self) -> None:
        super().__init__()
        self._compiler = ShapeCompiler()
        # Our own copy of the defaults botocore keeps privately, for the parsers made here.
        self._parser_defaults: dict[str, Any] = {}

    def set_parser_defaults(self, **kwargs: Any) -> None:
        super().set_parser_defaults(**kwargs)
        self._parser_defaults.update(kwargs)

    def create_parser(self, protocol_name: str) -> ResponseParser:
        if protocol_name == "json":
            return FastJSONParser(self._compiler, **self._parser_defaults)
        return super().create_parser(protocol_name)
