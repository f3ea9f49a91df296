"""The pipe between a Python run's two sandboxed processes: a value codec and a call channel.

Runs inside both sandboxes (standard library only): the test process (the exercise's tests,
python_harness.py) and the learner process (the learner's modules, python_learner.py). They
share nothing but two pipes; this module is everything that crosses them.

Values: None, bool, int, float, complex, str, bytes, bytearray, list, tuple, dict, set and
frozenset cross by value (a copy), in a tagged binary form of our own; nothing received is
unpickled, unmarshalled or evaluated, and a message is capped in size and nesting depth. Builtin
classes cross by name. Every other object stays where it is and crosses as a handle (a number):
the other side gets a proxy that forwards attribute reads and writes, calls, comparisons, `len`,
iteration, indexing, `repr`, `hash`, context managers and arithmetic as calls back over the pipe.
A proxy of a class is a class (calling it constructs an instance on its side; `isinstance`
asks that side); a proxy of an exception class is a real exception class, so the tests can
catch what learner code raises. A proxy sent back crosses as the original object.

Calls nest: while one side waits for its answer it serves the other side's calls (a learner's
function calling a test's callback that calls the learner again). One conversation at a time:
threads on either side take turns.

What the test process serves to the learner process is restricted (`guarded`): only attribute
names that do not start with "_" and a fixed set of operations (no `__dict__`, `__globals__`,
`__code__`, `__class__`, frames, ...), and modules, frames, code objects and tracebacks never
cross as handles. A malformed message raises WireError; end of file raises PeerGone.
"""

from __future__ import annotations

import _thread
import builtins
import operator
import os
import struct
import sys
import types

# (typing is not imported at run time: the learner process starts ~2 ms faster without it)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MESSAGE_CAP = 16 * 1024 * 1024  # bytes of one message
DEPTH_CAP = 100  # nesting of containers
TEXT_CAP = 100_000  # characters of an exception's text or location

_HEADER = struct.Struct(">I")
_INT = struct.Struct(">q")
_FLOAT = struct.Struct(">d")
_COMPLEX = struct.Struct(">dd")
_HANDLE = struct.Struct(">Q")
_LENGTH = struct.Struct(">I")

_BUILTIN_TYPES: dict[str, type] = {
    name: value for name, value in vars(builtins).items() if isinstance(value, type)
}
_BUILTIN_NAMES: dict[type, str] = {value: name for name, value in _BUILTIN_TYPES.items()}
_HASHABLE_PLAIN = (type(None), bool, int, float, complex, str, bytes)
_NEVER_SERVED = (
    types.ModuleType,
    types.FrameType,
    types.CodeType,
    types.TracebackType,
    types.CellType,
)
# Attribute names whose values lead to frames and code (generators, coroutines, frames, ...).
_NEVER_SERVED_PREFIXES = ("_", "gi_", "cr_", "ag_", "f_", "tb_", "co_")


class WireError(Exception):
    """A message that is not one we send (a peer that broke the protocol)."""


class PeerGone(BaseException):
    """The other process ended, or sent something that is not a message: the channel is dead.
    A BaseException, so that `except Exception` and `pytest.raises(Exception)` in test code
    do not swallow it."""


class Refused(Exception):
    """What the learner process asked of the test process's objects is not served."""


# --- values ---------------------------------------------------------------------------------


def _plain_key(value: object, depth: int = 0) -> bool:
    """Whether `value` can cross by value as a dict key or set element (decoding it then
    hashes only plain values: no call back across the pipe in the middle of a message)."""
    kind = type(value)
    if kind in _HASHABLE_PLAIN:
        return True
    if kind in (tuple, frozenset) and depth < 20:
        return all(_plain_key(item, depth + 1) for item in value)  # type: ignore[attr-defined]
    return False


_PACK_INT = _INT.pack
_PACK_LENGTH = _LENGTH.pack
_PACK_FLOAT = _FLOAT.pack
_UNPACK_INT = _INT.unpack_from
_UNPACK_LENGTH = _LENGTH.unpack_from
_UNPACK_FLOAT = _FLOAT.unpack_from
_UNPACK_HANDLE = _HANDLE.unpack_from
_SMALL_INT = 1 << 63
# Short texts as encoded (operation names, attribute names, dict keys): most of a message.
_TEXTS: dict[str, bytes] = {}
_TEXTS_CAP = 4096


def _text_bytes(value: str) -> bytes:
    found = _TEXTS.get(value)
    if found is None:
        raw = value.encode("utf-8", "surrogatepass")
        found = b"s" + _PACK_LENGTH(len(raw)) + raw
        if len(raw) <= 40 and len(_TEXTS) < _TEXTS_CAP:
            _TEXTS[value] = found
    return found


class _Encoder:
    __slots__ = ("channel", "described", "out", "path")

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.out: list[bytes] = []
        self.path: set[int] = set()
        self.described: set[int] = set()  # handles described in this message (once sent: all)

    def value(self, value: Any, depth: int = 0) -> None:
        out = self.out
        kind = type(value)
        if kind is str:
            out.append(_text_bytes(value))
        elif value is None:
            out.append(b"N")
        elif kind is int:
            if -_SMALL_INT <= value < _SMALL_INT:
                out.append(b"i" + _PACK_INT(value))
            else:
                raw = value.to_bytes((value.bit_length() + 8) // 8, "big", signed=True)
                out.append(b"I" + _PACK_LENGTH(len(raw)) + raw)
        elif kind is bool:
            out.append(b"T" if value else b"F")
        elif kind is float:
            out.append(b"f" + _PACK_FLOAT(value))
        elif kind is tuple or kind is list:
            if depth >= DEPTH_CAP or id(value) in self.path:
                self.handle(value)
                return
            self.path.add(id(value))
            out.append((b"t" if kind is tuple else b"l") + _PACK_LENGTH(len(value)))
            encode = self.value
            for item in value:
                item_kind = type(item)  # (the common items inline: a call each costs)
                if item_kind is str:
                    out.append(_text_bytes(item))
                elif item is None:
                    out.append(b"N")
                elif item_kind is int and -_SMALL_INT <= item < _SMALL_INT:
                    out.append(b"i" + _PACK_INT(item))
                elif item_kind is float:
                    out.append(b"f" + _PACK_FLOAT(item))
                else:
                    encode(item, depth + 1)
            self.path.discard(id(value))
        elif kind is dict or kind is set or kind is frozenset:
            # Keys by value only when plain: decoding them then hashes nothing of ours.
            if (
                depth >= DEPTH_CAP
                or id(value) in self.path
                or not all(type(key) is str or _plain_key(key) for key in value)
            ):
                self.handle(value)
                return
            self.path.add(id(value))
            out.append(_CONTAINER_TAGS[kind] + _PACK_LENGTH(len(value)))
            if kind is dict:
                for key, item in value.items():
                    self.value(key, depth + 1)
                    self.value(item, depth + 1)
            else:
                for item in value:
                    self.value(item, depth + 1)
            self.path.discard(id(value))
        elif kind is bytes or kind is bytearray:
            out.append((b"b" if kind is bytes else b"y") + _PACK_LENGTH(len(value)) + value)
        elif kind is complex:
            out.append(b"c" + _COMPLEX.pack(value.real, value.imag))
        elif kind is type and value in _BUILTIN_NAMES:
            raw = _BUILTIN_NAMES[value].encode()
            out.append(b"B" + _PACK_LENGTH(len(raw)) + raw)
        elif value is NotImplemented:
            out.append(b"n")
        elif value is Ellipsis:
            out.append(b"E")
        else:
            fields = _stdlib_value(value, kind)
            if fields is None:
                self.handle(value)
                return
            out.append(b"V")
            self.value(fields, depth + 1)

    def handle(self, value: object) -> None:
        if type(value) is _Method:
            value = value._zachet_fetch()  # (the method itself crosses, not our shortcut)
        channel = self.channel
        peer = channel._peer_handles.get(id(value))
        if peer is not None:  # a proxy of the peer's object: the original crosses back
            self.out.append(b"r" + _HANDLE.pack(peer))
            return
        number = channel._export_ids.get(id(value))
        if number is not None and (number in channel._described or number in self.described):
            self.out.append(b"h" + _HANDLE.pack(number) + b"=")
            return
        if channel.guarded and isinstance(value, _NEVER_SERVED):
            raise Refused(f"a {type(value).__name__} cannot be handed to learner code")
        if number is None:
            number = channel._next_handle
            channel._next_handle += 1
            channel._exports[number] = value
            channel._export_ids[id(value)] = number
        self.described.add(number)
        self.out.append(b"h" + _HANDLE.pack(number))
        if isinstance(value, types.ModuleType):
            self.out.append(b"m")
            self.value((value.__name__, hasattr(value, "__path__")))
        elif isinstance(value, type):
            self.out.append(b"c")
            self.value(channel._class_description(value))
        else:
            self.out.append(b"o")
            self.value(type(value))


_CONTAINER_TAGS = {list: b"l", tuple: b"t", dict: b"d", set: b"S", frozenset: b"Z"}


def _stdlib_value(value: Any, kind: type) -> tuple[Any, ...] | None:
    """(type name, plain fields) of a standard library value that crosses by value (dates,
    times, durations, decimals, fractions), or None. Exact types only; a time zone only when it
    is a fixed offset (datetime.timezone)."""
    module = getattr(kind, "__module__", None)
    if module == "datetime":
        import datetime

        if kind is datetime.timedelta:
            return ("timedelta", (value.days, value.seconds, value.microseconds))
        if kind is datetime.date:
            return ("date", (value.year, value.month, value.day))
        if kind is datetime.datetime or kind is datetime.time:
            zone = value.tzinfo
            offset = None
            if zone is not None:
                if type(zone) is not datetime.timezone:
                    return None
                delta = zone.utcoffset(None)
                offset = (delta.days, delta.seconds, delta.microseconds, zone.tzname(None))
            clock = (value.hour, value.minute, value.second, value.microsecond, value.fold)
            if kind is datetime.time:
                return ("time", (*clock, offset))
            return ("datetime", (value.year, value.month, value.day, *clock, offset))
    elif module == "decimal":
        import decimal

        if kind is decimal.Decimal:
            return ("Decimal", (str(value),))
    elif module == "fractions":
        import fractions

        if kind is fractions.Fraction:
            return ("Fraction", (value.numerator, value.denominator))
    return None


def _stdlib_value_from(fields: Any) -> Any:
    """The value _stdlib_value described, built by its constructor from plain fields (what
    does not fit is a WireError)."""
    if not (type(fields) is tuple and len(fields) == 2 and type(fields[1]) is tuple):
        raise WireError("a bad value description")
    name, arguments = fields
    try:
        if name in ("date", "time", "datetime", "timedelta"):
            import datetime

            if name == "timedelta":
                return datetime.timedelta(*arguments)
            if name == "date":
                return datetime.date(*arguments)
            *clock, fold, offset = arguments
            if len(clock) != (4 if name == "time" else 7) or not all(
                type(part) is int for part in clock
            ):
                raise WireError(f"a bad {name} value")
            zone = None
            if offset is not None:
                days, seconds, microseconds, zone_name = offset
                delta = datetime.timedelta(days, seconds, microseconds)
                zone = datetime.timezone(delta, zone_name)
            if name == "time":
                hour, minute, second, micro = clock
                return datetime.time(hour, minute, second, micro, zone, fold=fold)
            year, month, day, hour, minute, second, micro = clock
            return datetime.datetime(year, month, day, hour, minute, second, micro, zone, fold=fold)
        if name == "Decimal" and len(arguments) == 1 and type(arguments[0]) is str:
            import decimal

            return decimal.Decimal(arguments[0])
        if name == "Fraction" and all(type(argument) is int for argument in arguments):
            import fractions

            return fractions.Fraction(*arguments)
    except Exception as exc:
        raise WireError(f"a bad {name} value") from exc
    raise WireError("a bad value description")


_TAG = {name: ord(name) for name in "NTFisfIbyctlSZdBrhnEV"}
_N, _T, _F, _i, _s, _f = (_TAG[name] for name in "NTFisf")
_l, _t, _d, _S, _Z = (_TAG[name] for name in "ltdSZ")
_CONTAINERS = frozenset((_l, _t, _d, _S, _Z))


class _Decoder:
    __slots__ = ("channel", "data", "end", "position")

    def __init__(self, channel: Channel, data: bytes) -> None:
        self.channel = channel
        self.data = data
        self.position = 0
        self.end = len(data)

    def take(self, size: int) -> bytes:
        start = self.position
        end = start + size
        if end > self.end:
            raise WireError("message cut short")
        self.position = end
        return self.data[start:end]

    def length(self) -> int:
        position = self.position
        if position + 4 > self.end:
            raise WireError("message cut short")
        (size,) = _UNPACK_LENGTH(self.data, position)
        self.position = position = position + 4
        if size > self.end - position:
            raise WireError("a length past the end of the message")
        return size

    def value(self, depth: int = 0, key: bool = False) -> Any:
        data = self.data
        position = self.position
        if position >= self.end:
            raise WireError("message cut short")
        tag = data[position]
        self.position = position = position + 1
        if tag == _s:
            size = self.length()
            start = self.position
            self.position = start + size
            try:
                return data[start : start + size].decode("utf-8", "surrogatepass")
            except UnicodeDecodeError:
                raise WireError("text that is not UTF-8") from None
        if tag == _i:
            if position + 8 > self.end:
                raise WireError("message cut short")
            self.position = position + 8
            return _UNPACK_INT(data, position)[0]
        if tag == _N:
            return None
        if tag == _T:
            return True
        if tag == _F:
            return False
        if tag == _f:
            if position + 8 > self.end:
                raise WireError("message cut short")
            self.position = position + 8
            return _UNPACK_FLOAT(data, position)[0]
        if tag in _CONTAINERS:
            if depth >= DEPTH_CAP:
                raise WireError("nested too deeply")
            count = self.length()  # (each item takes a byte at least: a count is capped)
            if key and tag != _t and tag != _Z:
                raise WireError("an unhashable key")
            decode = self.value
            if tag == _d:
                result: dict[Any, Any] = {}
                for _ in range(count):
                    item_key = decode(depth + 1, True)
                    result[item_key] = decode(depth + 1)
                return result
            inner = key or tag in (_S, _Z)
            items: list[Any] = []
            append = items.append
            end = self.end
            for _ in range(count):  # (the common items inline: a call each costs)
                position = self.position
                item_tag = data[position] if position < end else 0
                if item_tag == _s and position + 5 <= end:
                    (size,) = _UNPACK_LENGTH(data, position + 1)
                    start = position + 5
                    if start + size > end:
                        raise WireError("a length past the end of the message")
                    self.position = start + size
                    try:
                        append(data[start : start + size].decode("utf-8", "surrogatepass"))
                    except UnicodeDecodeError:
                        raise WireError("text that is not UTF-8") from None
                elif item_tag == _i and position + 9 <= end:
                    self.position = position + 9
                    append(_UNPACK_INT(data, position + 1)[0])
                elif item_tag == _N:
                    self.position = position + 1
                    append(None)
                else:
                    append(decode(depth + 1, inner))
            if tag == _t:
                return tuple(items)
            if tag == _l:
                return items
            try:
                return set(items) if tag == _S else frozenset(items)
            except TypeError as exc:
                raise WireError("an unhashable set element") from exc
        return self.rare(tag, depth, key)

    def rare(self, tag: int, depth: int, key: bool) -> Any:
        if tag == _TAG["I"]:
            return int.from_bytes(self.take(self.length()), "big", signed=True)
        if tag == _TAG["b"]:
            return self.take(self.length())
        if tag == _TAG["y"]:
            return bytearray(self.take(self.length()))
        if tag == _TAG["c"]:
            real, imag = _COMPLEX.unpack(self.take(16))
            return complex(real, imag)
        if tag == _TAG["n"]:
            return NotImplemented
        if tag == _TAG["E"]:
            return Ellipsis
        if tag == _TAG["V"]:
            return _stdlib_value_from(self.value(depth + 1))
        if tag == _TAG["B"]:
            name = self.take(self.length()).decode("ascii", "replace")
            if name not in _BUILTIN_TYPES:
                raise WireError("not a builtin type")
            return _BUILTIN_TYPES[name]
        if key and tag in (_TAG["r"], _TAG["h"]):
            raise WireError("an object as a key")
        if tag == _TAG["r"]:
            (number,) = _HANDLE.unpack(self.take(8))
            try:
                return self.channel._exports[number]
            except KeyError:
                raise WireError("a handle we never gave") from None
        if tag == _TAG["h"]:
            if depth >= DEPTH_CAP:
                raise WireError("nested too deeply")
            return self.proxy(depth)
        raise WireError(f"unknown tag {bytes([tag])!r}")

    def proxy(self, depth: int) -> Any:
        channel = self.channel
        (number,) = _HANDLE.unpack(self.take(8))
        kind = self.take(1)
        known = channel._proxies.get(number)
        if kind == b"=":
            if known is None:
                raise WireError("a handle never described")
            return known
        if known is not None:
            raise WireError("a handle described twice")
        if kind == b"o":
            klass = self.value(depth + 1)
            result: Any = Proxy.__new__(Proxy)
            object.__setattr__(result, "_zachet_channel", channel)
            object.__setattr__(result, "_zachet_class", klass if type(klass) is PeerClass else None)
        elif kind == b"c":
            result = channel._peer_class(self.value(depth + 1))
        elif kind == b"m":
            described = self.value(depth + 1)
            if not (
                type(described) is tuple
                and len(described) == 2
                and type(described[0]) is str
                and type(described[1]) is bool
            ):
                raise WireError("a bad module description")
            result = PeerModule(described[0])
            object.__setattr__(result, "_zachet_channel", channel)
            object.__setattr__(result, "_zachet_package", described[1])
        else:
            raise WireError(f"unknown handle kind {kind!r}")
        channel._proxies[number] = result
        channel._peer_handles[id(result)] = number
        return result


# --- proxies ----------------------------------------------------------------------------------


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _request(target: Any, operation: str, *arguments: Any) -> Any:
    channel: Channel = object.__getattribute__(target, "_zachet_channel")
    return channel.request(operation, target, arguments)


class Proxy:
    """An object of the other process (see the module's docstring)."""

    __slots__ = ("__weakref__", "_zachet_channel", "_zachet_class")

    def __getattr__(self, name: str) -> Any:
        if _is_dunder(name):  # introspection (copy, pickle, __length_hint__, ...) stays here
            raise AttributeError(name)
        klass = object.__getattribute__(self, "_zachet_class")
        if klass is not None and name in klass._zachet_methods:
            return _Method(self, name)  # called at once, mostly: one round trip, not two
        return _request(self, "getattr", name)

    def __setattr__(self, name: str, value: Any) -> None:
        _request(self, "setattr", name, value)

    def __delattr__(self, name: str) -> None:
        _request(self, "delattr", name)

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TypeError("an object of the other process cannot be pickled or copied")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _request(self, "call", args, kwargs)

    def __repr__(self) -> str:
        return _checked(_request(self, "repr"), str)

    def __str__(self) -> str:
        return _checked(_request(self, "str"), str)

    def __format__(self, spec: str) -> str:
        return _checked(_request(self, "format", spec), str)

    def __hash__(self) -> int:
        return _checked(_request(self, "hash"), int)

    def __bool__(self) -> bool:
        return _checked(_request(self, "bool"), bool)

    def __len__(self) -> int:
        return _checked(_request(self, "len"), int)

    def __length_hint__(self) -> int:
        return 0  # (list(proxy) must not ask for len first: an iterator has none)

    def __iter__(self) -> Any:
        return _request(self, "iter")

    def __next__(self) -> Any:
        return _request(self, "next")

    def __reversed__(self) -> Any:
        return _request(self, "reversed")

    def __getitem__(self, key: Any) -> Any:
        return _request(self, "getitem", key)

    def __setitem__(self, key: Any, value: Any) -> None:
        _request(self, "setitem", key, value)

    def __delitem__(self, key: Any) -> None:
        _request(self, "delitem", key)

    def __contains__(self, item: Any) -> bool:
        return _checked(_request(self, "contains", item), bool)

    def __enter__(self) -> Any:
        return _request(self, "enter")

    def __exit__(self, kind: Any, value: Any, traceback: Any) -> Any:
        # The traceback stays here: its frames lead to everything in this process.
        return _request(self, "exit", kind, value)

    def __int__(self) -> int:
        return _checked(_request(self, "int"), int)

    def __float__(self) -> float:
        return _checked(_request(self, "float"), float)

    def __index__(self) -> int:
        return _checked(_request(self, "index"), int)

    def __round__(self, digits: Any = None) -> Any:
        return _request(self, "round", digits)

    def __neg__(self) -> Any:
        return _request(self, "neg")

    def __pos__(self) -> Any:
        return _request(self, "pos")

    def __abs__(self) -> Any:
        return _request(self, "abs")

    def __invert__(self) -> Any:
        return _request(self, "invert")


def _checked(value: Any, kind: type) -> Any:
    """What Python itself demands of __len__, __hash__, ...: the exact builtin type."""
    if not isinstance(value, kind) or isinstance(value, Proxy):
        raise TypeError(f"expected {kind.__name__} from the other process")
    return value


def _binary(name: str, *, reflected: bool = False) -> Any:
    if reflected:

        def method(self: Any, other: Any) -> Any:
            return _request(self, "binary", name, other, True)

    else:

        def method(self: Any, other: Any) -> Any:
            return _request(self, "binary", name, other, False)

    return method


_COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")
_ARITHMETIC = (
    "add",
    "sub",
    "mul",
    "truediv",
    "floordiv",
    "mod",
    "pow",
    "matmul",
    "and",
    "or",
    "xor",
    "lshift",
    "rshift",
)
for _name in _COMPARISONS + _ARITHMETIC:
    setattr(Proxy, f"__{_name}__", _binary(_name))
for _name in _ARITHMETIC:
    setattr(Proxy, f"__r{_name}__", _binary(_name, reflected=True))
# (`p += 1` falls back to `p = p + 1`: the result is a new handle unless __iadd__ returns self)


class _Method:
    """`proxy.name` where `name` is a method of the object's class: calling it is one round
    trip (the attribute is looked up and called over there); used otherwise, it is fetched."""

    __slots__ = ("_zachet_name", "_zachet_owner", "_zachet_value")

    def __init__(self, owner: Proxy, name: str) -> None:
        self._zachet_owner = owner
        self._zachet_name = name
        self._zachet_value: Any = _Method  # (not fetched yet)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _request(self._zachet_owner, "callmethod", self._zachet_name, args, kwargs)

    def _zachet_fetch(self) -> Any:
        if self._zachet_value is _Method:
            self._zachet_value = _request(self._zachet_owner, "getattr", self._zachet_name)
        return self._zachet_value

    def __getattr__(self, name: str) -> Any:
        if _is_dunder(name):
            raise AttributeError(name)
        return getattr(self._zachet_fetch(), name)

    def __repr__(self) -> str:
        return repr(self._zachet_fetch())

    def __eq__(self, other: object) -> bool:
        return self._zachet_fetch() == (
            other._zachet_fetch() if isinstance(other, _Method) else other
        )

    def __hash__(self) -> int:
        return hash(self._zachet_fetch())


class PeerClass(type):
    """A class of the other process: calling it constructs an instance there."""

    _zachet_channel: Channel
    _zachet_methods: frozenset[str]

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return _request(cls, "call", args, kwargs)

    def __instancecheck__(cls, instance: Any) -> bool:
        if type(instance) is _Method:
            instance = instance._zachet_fetch()
        if type(instance) is not Proxy:
            return False  # (an object of this process is never an instance of theirs)
        if object.__getattribute__(instance, "_zachet_class") is cls:
            return True
        return _checked(_request(cls, "isinstance", instance), bool)

    def __subclasscheck__(cls, subclass: Any) -> bool:
        if subclass is cls:
            return True
        if type(subclass) is not PeerClass:
            return False
        return _checked(_request(cls, "issubclass", subclass), bool)

    def __getattr__(cls, name: str) -> Any:
        if _is_dunder(name):
            raise AttributeError(name)
        return _request(cls, "getattr", name)

    def __setattr__(cls, name: str, value: Any) -> None:
        if name.startswith("_zachet_") or _is_dunder(name):
            type.__setattr__(cls, name, value)
        else:
            _request(cls, "setattr", name, value)

    def __iter__(cls) -> Any:  # an Enum's members
        return _request(cls, "iter")

    def __len__(cls) -> int:
        return _checked(_request(cls, "len"), int)

    def __getitem__(cls, key: Any) -> Any:
        return _request(cls, "getitem", key)

    def __contains__(cls, item: Any) -> bool:
        return _checked(_request(cls, "contains", item), bool)


class PeerException:
    """Mixed into the exception classes made for the other process's exception classes: the
    text it had there, and its attributes (`error.value.path`) read from the original."""

    _zachet_text: str | None = None
    _zachet_original: Any = None

    def __str__(self) -> str:
        if self._zachet_text is not None:
            return self._zachet_text
        return super().__str__()

    def __getattr__(self, name: str) -> Any:
        original = self.__dict__.get("_zachet_original")
        if original is None or _is_dunder(name) or name.startswith("_zachet_"):
            raise AttributeError(name)
        return getattr(original, name)


class PeerModule(types.ModuleType):
    """A module of the other process (the learner's `solution`): its attributes are read there,
    except the module's own bookkeeping (__spec__, __loader__, ...), which importing sets here."""

    _zachet_channel: Channel
    _zachet_package: bool

    def __getattr__(self, name: str) -> Any:
        if name == "__all__":  # from solution import *
            return _request(self, "names")
        if _is_dunder(name) or name.startswith("_zachet_"):
            raise AttributeError(name)
        return _request(self, "getattr", name)

    def __setattr__(self, name: str, value: Any) -> None:
        if _is_dunder(name) or name.startswith("_zachet_"):
            object.__setattr__(self, name, value)
        else:
            _request(self, "setattr", name, value)

    def __delattr__(self, name: str) -> None:
        _request(self, "delattr", name)


# --- serving ---------------------------------------------------------------------------------


def _exit(target: Any, kind: Any, value: Any) -> Any:
    return target.__exit__(kind, value, None)


def _binary_served(target: Any, name: str, other: Any, reflected: bool) -> Any:
    """`target <op> other` for the caller. When `other` is the caller's own object, only
    target's method is asked, and NotImplemented goes back: the caller then asks its object
    itself (handing it back across would bounce between two objects that do not know each
    other, a date and a learner's object, until the stack ran out)."""
    if type(other) is Proxy:
        dunder = f"__r{name}__" if reflected else f"__{name}__"
        method = getattr(type(target), dunder, None)
        return NotImplemented if method is None else method(target, other)
    return _BINARY[name](other, target) if reflected else _BINARY[name](target, other)


_BINARY = {
    name: getattr(operator, name if name not in ("and", "or") else f"{name}_")
    for name in _COMPARISONS + _ARITHMETIC
}

# What either side serves on its objects (operation -> function(target, *arguments)); the
# test process serves the same, with attribute names checked (Channel.guarded).
_OPERATIONS: dict[str, Any] = {
    "call": lambda target, args, kwargs: target(*args, **kwargs),
    "callmethod": lambda target, name, args, kwargs: getattr(target, name)(*args, **kwargs),
    "getattr": getattr,
    "setattr": setattr,
    "delattr": delattr,
    "repr": repr,
    "str": str,
    "format": format,
    "hash": hash,
    "bool": bool,
    "len": len,
    "iter": iter,
    "next": next,
    "reversed": reversed,
    "getitem": operator.getitem,
    "setitem": operator.setitem,
    "delitem": operator.delitem,
    "contains": operator.contains,
    "enter": lambda target: target.__enter__(),
    "exit": _exit,
    "int": int,
    "float": float,
    "index": operator.index,
    "round": lambda target, digits: round(target) if digits is None else round(target, digits),
    "neg": operator.neg,
    "pos": operator.pos,
    "abs": operator.abs,
    "invert": operator.invert,
    "binary": _binary_served,
}
_NAMED = {"callmethod": 0, "getattr": 0, "setattr": 0, "delattr": 0}  # where the name is


class Channel:
    """One end of the pipe pair: calls to the peer's objects, and serving the peer's calls.

    `guarded`: this is the test process, serving the learner process (see the docstring).
    `local`: extra operations this side serves (the learner process: import, names, ...)."""

    def __init__(
        self,
        read_fd: int,
        write_fd: int,
        *,
        guarded: bool,
        local: dict[str, Any] | None = None,
    ) -> None:
        self.read_fd = read_fd
        self.write_fd = write_fd
        self.guarded = guarded
        self.operations = {**_OPERATIONS, **(local or {})}
        self.lock = _thread.RLock()
        self.broken: str | None = None
        self.output_sink: Any = None  # called with learner output that comes with a message
        self.output_source: Any = None  # gives what this side printed since the last message
        self._buffer = bytearray()
        self._exports: dict[int, object] = {}
        self._export_ids: dict[int, int] = {}
        self._described: set[int] = set()
        self._next_handle = 1
        self._proxies: dict[int, object] = {}
        self._peer_handles: dict[int, int] = {}
        self._class_descriptions: dict[type, tuple[Any, ...]] = {}

    # -- messages

    def _send(self, message: tuple[Any, ...]) -> None:
        encoder = _Encoder(self)
        encoder.value(message)
        payload = b"".join(encoder.out)
        if len(payload) > MESSAGE_CAP:
            raise ValueError(f"a value too large to send ({len(payload)} bytes)")
        data = _HEADER.pack(len(payload)) + payload
        with self.lock:
            try:
                written = os.write(self.write_fd, data)
                if written < len(data):  # (a pipe takes 64 KB at once)
                    view = memoryview(data)[written:]
                    while view:
                        view = view[os.write(self.write_fd, view) :]
            except OSError as exc:
                raise self._break(f"the other process is gone ({exc.strerror})") from None
            if encoder.described:
                self._described |= encoder.described

    def _message(self) -> bytes:
        """The next message's bytes (most often one read of exactly one message)."""
        buffer = self._buffer
        try:
            if not buffer:
                chunk = os.read(self.read_fd, 65536)
                if not chunk:
                    raise self._break("the other process ended")
                if len(chunk) >= 4 and len(chunk) == 4 + _HEADER.unpack_from(chunk)[0]:
                    return chunk[4:]
                buffer += chunk
            while len(buffer) < 4:
                chunk = os.read(self.read_fd, 65536)
                if not chunk:
                    raise self._break("the other process ended")
                buffer += chunk
            (size,) = _HEADER.unpack_from(buffer)
            if size > MESSAGE_CAP:
                raise self._break(f"a message of {size} bytes (at most {MESSAGE_CAP})")
            while len(buffer) < 4 + size:
                chunk = os.read(self.read_fd, max(65536, 4 + size - len(buffer)))
                if not chunk:
                    raise self._break("the other process ended in the middle of a message")
                buffer += chunk
        except OSError as exc:
            raise self._break(f"cannot read from the other process ({exc.strerror})") from None
        data = bytes(buffer[4 : 4 + size])
        del buffer[: 4 + size]
        return data

    def _receive(self) -> tuple[Any, ...]:
        data = self._message()
        decoder = _Decoder(self, data)
        try:
            message = decoder.value()
            if decoder.position != len(data):
                raise WireError("junk after the message")
        except WireError as exc:
            raise self._break(f"a malformed message: {exc}") from None
        except RecursionError:
            raise self._break("a malformed message: nested too deeply") from None
        if not (type(message) is tuple and message and message[0] in ("q", "a", "x")):
            raise self._break("a malformed message: not a call or an answer")
        return message

    def _break(self, reason: str) -> PeerGone:
        if self.broken is None:
            self.broken = reason
        return PeerGone(self.broken)

    # -- calling the peer

    def request(self, operation: str, target: Any, arguments: tuple[Any, ...]) -> Any:
        with self.lock:
            if self.broken is not None:
                raise PeerGone(self.broken)
            source = self.output_source
            self._send(("q", operation, target, arguments, None if source is None else source()))
            return self._wait()

    def _wait(self) -> Any:
        while True:
            message = self._receive()
            kind = message[0]
            if kind == "q":
                self._serve(message)
                continue
            if len(message) < 3:
                raise self._break("a malformed answer")
            if message[-1] is not None:
                self._emit(message[-1])
            if kind == "a" and len(message) == 3:
                return message[1]
            if kind == "x" and len(message) == 7:
                raise self._exception(*message[1:6])
            raise self._break("a malformed answer")

    def _output(self) -> str | None:
        return self.output_source() if self.output_source is not None else None

    def _emit(self, output: Any) -> None:
        if output is None:
            return
        if type(output) is not str:
            raise self._break("a malformed message: output that is not text")
        if output and self.output_sink is not None:
            self.output_sink(output)

    def serve_forever(self) -> None:
        """Serve the peer's calls until it closes the pipe (the learner process's loop)."""
        while True:
            with self.lock:  # (a thread of learner code calling back waits for its turn)
                message = self._receive()
            if message[0] != "q":
                raise self._break("an answer nobody asked for")
            self._serve(message)

    # -- serving the peer

    def _serve(self, message: tuple[Any, ...]) -> None:
        if len(message) != 5:
            raise self._break("a malformed call")
        _, operation, target, arguments, output = message
        if output is not None:
            self._emit(output)
        if type(operation) is not str or type(arguments) is not tuple:
            raise self._break("a malformed call")
        try:
            function = self.operations.get(operation)
            if function is None:
                raise Refused(f"{operation} is not served")
            if self.guarded:
                self._check(operation, target, arguments)
            result = function(target, *arguments)
        except PeerGone:
            raise
        except BaseException as exc:
            self._answer_exception(exc)
            return
        source = self.output_source
        try:
            self._send(("a", result, None if source is None else source()))
        except (Refused, ValueError) as exc:
            self._answer_exception(exc)

    def _check(self, operation: str, target: Any, arguments: tuple[Any, ...]) -> None:
        """The test process serves public behaviour only (see the module's docstring)."""
        if operation not in _OPERATIONS:
            raise Refused(f"{operation} is not served")
        if operation in _NAMED:
            name = arguments[0] if arguments else None
            if type(name) is not str or name.startswith(_NEVER_SERVED_PREFIXES):
                raise Refused(f"attribute {name!r} is not available to learner code")
        if operation == "binary" and (len(arguments) != 3 or arguments[0] not in _BINARY):
            raise Refused("unknown operator")

    def _answer_exception(self, exc: BaseException) -> None:
        kind = type(exc)
        where = getattr(exc, "_zachet_where", None) or self.location(exc)
        text = _text(exc)
        arguments = exc.args if type(exc.args) is tuple else ()
        original = None if self.guarded else exc
        for attempt in range(3):
            try:
                if attempt == 1:  # arguments that do not cross (too large, refused)
                    arguments = tuple(_text(argument) for argument in arguments)
                elif attempt == 2:
                    kind, arguments, original = RuntimeError, (text,), None
                self._send(("x", kind, arguments, text, where, original, self._output()))
                return
            except (Refused, ValueError):
                continue

    def location(self, exc: BaseException) -> str | None:
        """file:line where `exc` was raised in the learner's files (overridden there)."""
        return None

    def _exception(
        self, kind: Any, arguments: Any, text: Any, where: Any, original: Any
    ) -> BaseException:
        if not (isinstance(kind, type) and issubclass(kind, BaseException)):
            return self._break("a malformed answer: not an exception")
        if type(arguments) is not tuple or not isinstance(text, str | None):
            return self._break("a malformed answer")
        if not isinstance(where, str | None):
            return self._break("a malformed answer")
        try:
            exc = kind(*arguments)
        except Exception:  # a builtin exception with other arguments (UnicodeDecodeError)
            exc = kind.__new__(kind)
            exc.args = arguments
        if isinstance(exc, PeerException):
            exc._zachet_text = text[:TEXT_CAP] if text is not None else None
            exc._zachet_original = original if type(original) is Proxy else None
        if where:
            exc._zachet_where = where[:TEXT_CAP]  # type: ignore[attr-defined]
        return exc

    # -- classes

    def _class_description(self, klass: type) -> tuple[Any, ...]:
        """(name, qualname, module, method names, exception bases or None) of our class."""
        found = self._class_descriptions.get(klass)
        if found is not None:
            return found
        methods: list[str] = []
        seen: set[str] = set()
        try:
            plain = type(klass) is type and "__getattribute__" not in vars(klass)
            for base in klass.__mro__ if plain else ():
                for name, value in vars(base).items():
                    if name in seen:
                        continue
                    seen.add(name)
                    if type(value) is types.FunctionType and not name.startswith("_"):
                        methods.append(name)
        except Exception:
            methods = []
        bases: tuple[Any, ...] | None = None
        if issubclass(klass, BaseException):
            bases = tuple(
                base
                for base in klass.__bases__
                if isinstance(base, type) and issubclass(base, BaseException)
            )
        description = (
            str(getattr(klass, "__name__", "?")),
            str(getattr(klass, "__qualname__", "?")),
            str(getattr(klass, "__module__", "?")),
            tuple(methods),
            bases,
        )
        self._class_descriptions[klass] = description
        return description

    def _peer_class(self, description: Any) -> type:
        if not (
            type(description) is tuple
            and len(description) == 5
            and all(type(part) is str for part in description[:3])
            and type(description[3]) is tuple
            and all(type(name) is str for name in description[3])
        ):
            raise WireError("a bad class description")
        name, qualname, module, methods, bases = description
        if bases is not None:
            return self._exception_class(name, qualname, module, bases)
        klass = PeerClass(name, (), {"__module__": module, "__qualname__": qualname})
        klass._zachet_channel = self
        klass._zachet_methods = frozenset(methods)
        return klass

    def _exception_class(self, name: str, qualname: str, module: str, bases: Any) -> type:
        """A real exception class for theirs (with their bases, builtin ones as themselves),
        or, in the test process, the standard library's own class by that name."""
        if type(bases) is not tuple or not all(
            isinstance(base, type) and issubclass(base, BaseException) for base in bases
        ):
            raise WireError("a bad exception class description")
        own = self.own_exception_class(module, qualname)
        if own is not None:
            return own
        namespace = {"__module__": module, "__qualname__": qualname}
        resolved = tuple(bases) or (Exception,)
        if not any(issubclass(base, PeerException) for base in resolved):
            resolved = (PeerException, *resolved)
        try:
            return type(name, resolved, namespace)
        except TypeError:  # bases that cannot be combined here: the first one's line only
            first = resolved[1] if resolved[0] is PeerException else resolved[0]
            line = (first,) if issubclass(first, PeerException) else (PeerException, first)
            return type(name, line, namespace)

    def own_exception_class(self, module: str, qualname: str) -> type | None:
        """An exception class of this process to use for theirs (see the test process's)."""
        return None


def share_cpu(cpu: object) -> None:
    """Run on `cpu` only, as the other process of the run does (see python.run_cpu): a call
    across the pipe is then a switch on one CPU, not a wake-up of another."""
    if type(cpu) is int:
        try:  # noqa: SIM105 - (contextlib would cost an import)
            os.sched_setaffinity(0, {cpu})
        except OSError:
            pass  # (not allowed here: slower, not wrong)


def _text(value: object) -> str:
    try:
        text = str(value)
    except Exception as exc:
        text = f"<{type(value).__name__}: str() failed: {type(exc).__name__}>"
    return text[:TEXT_CAP]


def stdlib_exception(module: str, qualname: str) -> type | None:
    """The exception class `module.qualname` of the standard library, when this process has
    already imported that module (json.JSONDecodeError raised over there is caught as
    json.JSONDecodeError here). Skips never: a learner must not skip a test."""
    if module.partition(".")[0] not in sys.stdlib_module_names or module in (
        "__main__",
        "unittest",
    ):
        return None
    if module.startswith("unittest."):
        return None
    found: Any = sys.modules.get(module)
    for part in qualname.split("."):
        if found is None or not part.isidentifier():
            return None
        found = vars(found).get(part) if hasattr(found, "__dict__") else None
    if not (isinstance(found, type) and issubclass(found, Exception)):
        return None
    return found
