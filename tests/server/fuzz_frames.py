"""Hypothesis strategies for hostile rendezvous frames (used by test_fuzz.py).

`strategies_for(ctx).batches(n)` draws a list of WebSocket frames to send: each a
`Frame` of text or bytes, with the JSON value it encodes when there is one, so that the
test can tell which answers are allowed. The frames are built from the values of a live
test (`FuzzContext`: a topic with an honest pair in it, their ids) so that mutations of
valid frames reach past the parser into the connection-state checks and the relay.
"""

import functools
import json
from dataclasses import dataclass, field

from hypothesis import strategies as st

from signal_server import frames as protocol

from .wire import SEALED_SIZES, b64

# Stands for the fuzzing connection's own id, which is only known once it is welcomed;
# the test puts the id in its place just before sending (same length, so a frame near
# the size limit keeps its size).
SELF_ID = b64(b"\xff" * protocol.CONNECTION_ID_BYTES)


@dataclass(frozen=True)
class FuzzContext:
    topic: str
    ids: tuple[str, ...]  # connection ids worth addressing: the honest pair, SELF_ID
    frame_bytes: int


@dataclass(frozen=True)
class Frame:
    text: str | None = None
    data: bytes | None = None
    obj: object = field(default=None, compare=False)  # the JSON object sent, if any

    def __repr__(self) -> str:
        # Frames near the size limit would fill a failure report with padding.
        shown = repr(self.text if self.data is None else self.data)
        return f"Frame({shown[:300]}{'...' if len(shown) > 300 else ''})"


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()  # NaN and Infinity included: json.dumps writes them, the server refuses
    | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)


def fixed_bytes(size: int) -> st.SearchStrategy[str]:
    # Blob contents do not matter to the server; drawing one byte keeps examples small.
    return st.integers(0, 255).map(lambda fill: b64(bytes([fill]) * size))


# Strategies are built once: building one per drawn frame costs more than the server
# takes to answer it.
STRING_MUTATIONS = st.sampled_from(["cut", "extend", "suffix", "replace", "upper", "space"])
SUFFIXES = st.sampled_from(["=", "==", "+", "/", " ", "\u00e9", "\x00"])
SHORT_TEXT = st.text(max_size=3)
ANY_CHARACTER = st.characters()
WRONG_VALUES = json_values | st.sampled_from([1.0, True, "1", 2, 0, -1, 2**64])
WRONG_NUMBERS = st.sampled_from([0, 2, -1, 1.5, 2**53, 2**64, 10**400])
FIELD_NAMES = st.text(min_size=1, max_size=8)
HOW = st.sampled_from(["drop", "add", "retype", "mutate", "mutate", "mutate"])
OTHER_TYPES = st.sampled_from(protocol.CLIENT_FRAME_TYPES + protocol.SERVER_FRAME_TYPES)
RAW_TEXTS = st.one_of(
    st.text(max_size=80),
    st.text(st.characters(codec=None, exclude_categories=()), max_size=20),  # surrogates
    st.binary(max_size=80).map(lambda raw: raw.decode("latin-1")),
    st.binary(max_size=80).map(lambda raw: raw.decode("utf-8", "replace")),
    st.integers(1, 30_000).map(lambda depth: "[" * depth + "]" * depth),
    st.integers(1, 5_000).map(lambda depth: '{"a":' * depth + "1" + "}" * depth),
    st.just('{"type":"ping","type":"ping"}'),  # a duplicate key
    st.just('{"type":"ping"} {"type":"ping"}'),  # two objects in one frame
).map(lambda text: Frame(text=text))
BINARY = st.binary(max_size=80).map(lambda raw: Frame(data=raw))
JSON_FRAMES = json_values.map(lambda value: Frame(text=json.dumps(value), obj=value))


@st.composite
def mutated_string(draw, text: str) -> str:
    how = draw(STRING_MUTATIONS)
    at = draw(st.integers(0, max(len(text) - 1, 0)))
    if how == "cut":
        return text[:at]
    if how == "extend":
        return text + draw(SHORT_TEXT)
    if how == "suffix":
        return text + draw(SUFFIXES)
    if how == "replace":
        return text[:at] + draw(ANY_CHARACTER) + text[at + 1 :]
    return text.upper() if how == "upper" else " " + text


def as_json(frame: dict) -> Frame:
    return Frame(text=json.dumps(frame), obj=frame)


@functools.cache
def strategies_for(ctx: FuzzContext) -> "FrameStrategies":
    return FrameStrategies(ctx)


class FrameStrategies:
    """The strategies for one context; `strategies_for` builds them once per test."""

    def __init__(self, ctx: FuzzContext):
        self.ctx = ctx
        topics = st.just(ctx.topic) | fixed_bytes(protocol.TOPIC_BYTES)
        targets = st.sampled_from(ctx.ids) | fixed_bytes(protocol.CONNECTION_ID_BYTES)
        blobs = st.sampled_from(SEALED_SIZES[:2]).flatmap(fixed_bytes)
        self.valid = st.one_of(
            st.builds(lambda key: {"type": "hello", "v": 1, "key": key}, fixed_bytes(32)),
            st.builds(lambda topic: {"type": "join", "topic": topic}, topics),
            st.builds(lambda topic: {"type": "leave", "topic": topic}, topics),
            st.builds(
                lambda topic, to, blob: {"type": "signal", "topic": topic, "to": to, "blob": blob},
                topics,
                targets,
                blobs,
            ),
            st.just({"type": "ping"}),
            st.just({"type": "ice-servers"}),
            # No valid signature can be drawn: these reach the mirror checks, and fail.
            st.builds(
                lambda key, ts, sig: {"type": "mirror-serve", "key": key, "ts": ts, "sig": sig},
                fixed_bytes(32),
                st.integers(0, 2**53 - 1),
                fixed_bytes(64),
            ),
            st.builds(lambda blob: {"type": "mirror", "blob": blob}, fixed_bytes(1072)),
            st.builds(
                lambda to, blob: {"type": "mirror-reply", "to": to, "blob": blob},
                targets,
                fixed_bytes(1072),
            ),
        )
        self.mutated = self._mutated().map(as_json)
        self.others = st.one_of(
            self.valid.map(as_json), JSON_FRAMES, RAW_TEXTS, BINARY, self._near_the_limit()
        )

    def _mutated(self) -> st.SearchStrategy[dict]:
        valid = self.valid

        @st.composite
        def mutated(draw) -> dict:
            """A valid frame with one field dropped, added, retyped or its value mutated."""
            frame = dict(draw(valid))
            # Mutated values get past the schema into the value and state checks, so they
            # are drawn most; `type` is picked as often as any one other field.
            how = draw(HOW)
            fields = sorted(set(frame) - {"type"})
            name = draw(st.sampled_from(fields * 3 + ["type"])) if fields else "type"
            if how == "drop":
                del frame[name]
            elif how == "add":
                frame[draw(FIELD_NAMES)] = draw(json_values)
            elif how == "retype":
                frame[name] = draw(WRONG_VALUES)
            elif name == "type" and draw(st.booleans()):
                frame[name] = draw(OTHER_TYPES)
            elif isinstance(frame[name], str):
                frame[name] = draw(mutated_string(frame[name]))
            else:
                frame[name] = draw(WRONG_NUMBERS)
            return frame

        return mutated()

    def _near_the_limit(self) -> st.SearchStrategy[Frame]:
        valid, limit = self.valid, self.ctx.frame_bytes

        @st.composite
        def near_the_limit(draw) -> Frame:
            """A few bytes either side of the size limit, in ASCII or two-byte characters."""
            size = limit + draw(st.integers(-2, 2))
            base = draw(valid)
            if draw(st.booleans()):
                # Whitespace after the object: the frame is valid exactly while it fits.
                text = json.dumps(base)
                return Frame(text=text + " " * max(size - len(text), 0), obj=base)
            # Padding in a string field: an unknown field, or the limit if it is over.
            # 'é' is two UTF-8 bytes, so the character count stays under the byte count.
            padded = {**base, "pad": ""}
            room = size - len(json.dumps(padded).encode())
            padded["pad"] = "\u00e9" * (room // 2) if draw(st.booleans()) else "a" * max(room, 0)
            return Frame(text=json.dumps(padded, ensure_ascii=False), obj=padded)

        return near_the_limit()

    def batches(self, max_size: int) -> st.SearchStrategy[list[Frame]]:
        """Frames, most of them mutations of valid frames, in a random order.

        Mutated frames are drawn as a list of their own: mixed into one list with the
        other kinds, Hypothesis draws them far less often than their share, and they are
        the ones that reach past the schema into the value and connection-state checks.
        """
        mutated = st.lists(self.mutated, min_size=4, max_size=max_size * 2 // 3)
        return mutated.flatmap(
            lambda frames: (
                st.lists(self.others, min_size=2, max_size=max_size - len(frames))
                .map(lambda rest: frames + rest)
                .flatmap(st.permutations)
            )
        )
