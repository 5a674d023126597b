"""The rendezvous frame types, error codes and close codes of docs/protocol.md §3.

This is the one Python list of frame types; tests/server/test_frame_types.py checks it
against the table in docs/protocol.md and static/app/signaling/frames.js.
"""

PROTOCOL_VERSION = 1

CLIENT_FRAME_TYPES = (
    "hello",
    "join",
    "leave",
    "signal",
    "ping",
    "wake",
    "ice-servers",
    "mirror-serve",
    "mirror",
    "mirror-reply",
)
SERVER_FRAME_TYPES = (
    "welcome",
    "peers",
    "joined",
    "left",
    "signal",
    "pong",
    "woken",
    "ice-servers",
    "mirror-serving",
    "mirror-request",
    "mirror-reply",
    "error",
)

# Sizes of the binary values carried as base64url.
KEY_BYTES = 32
TOPIC_BYTES = 32
CONNECTION_ID_BYTES = 16
# A sealed envelope is a 1024/4096/16384-byte padded plaintext plus the 48-byte sealed
# box overhead (§4); any other size cannot come from an honest client.
SEALED_BLOB_BYTES = frozenset({1072, 4144, 16432})
# A wake (§10) is a 1024-byte padded plaintext sealed the same way.
WAKE_BLOB_BYTES = 1072
MAILBOX_ID_BYTES = 32
# A mirror request or reply (§12) is padded and sealed as a wake is.
MIRROR_BLOB_BYTES = 1072
SIGNATURE_BYTES = 64

# Error codes (§3 "Errors").
BAD_JSON = "bad_json"
UNKNOWN_TYPE = "unknown_type"
BAD_FRAME = "bad_frame"
BAD_VERSION = "bad_version"
HELLO_REQUIRED = "hello_required"
DUPLICATE_HELLO = "duplicate_hello"
BAD_KEY = "bad_key"
BAD_TOPIC = "bad_topic"
BAD_ID = "bad_id"
BAD_BLOB = "bad_blob"
BAD_MAILBOX = "bad_mailbox"
BAD_MIRROR = "bad_mirror"
TOO_MANY_TOPICS = "too_many_topics"
TOO_MANY_TOPICS_PER_ADDRESS = "too_many_topics_per_address"
NOT_JOINED = "not_joined"
UNREACHABLE = "unreachable"
NO_MIRROR = "no_mirror"
NOT_MIRROR = "not_mirror"
RATE_LIMITED = "rate_limited"
WAKE_RATE_LIMITED = "wake_rate_limited"
ICE_RATE_LIMITED = "ice_rate_limited"
MIRROR_RATE_LIMITED = "mirror_rate_limited"
FRAME_TOO_LARGE = "frame_too_large"
UNAVAILABLE = "unavailable"

ERROR_CODES = (
    BAD_JSON,
    UNKNOWN_TYPE,
    BAD_FRAME,
    BAD_VERSION,
    HELLO_REQUIRED,
    DUPLICATE_HELLO,
    BAD_KEY,
    BAD_TOPIC,
    BAD_ID,
    BAD_BLOB,
    BAD_MAILBOX,
    BAD_MIRROR,
    TOO_MANY_TOPICS,
    TOO_MANY_TOPICS_PER_ADDRESS,
    NOT_JOINED,
    UNREACHABLE,
    NO_MIRROR,
    NOT_MIRROR,
    RATE_LIMITED,
    WAKE_RATE_LIMITED,
    ICE_RATE_LIMITED,
    MIRROR_RATE_LIMITED,
    FRAME_TOO_LARGE,
    UNAVAILABLE,
)

# Errors that do not count toward MAX_ERRORS: a rate-limited frame counts as a flood
# strike instead, `unreachable` can happen to an honest client whenever a peer leaves
# while its signals are in flight, `too_many_topics_per_address` depends on the other
# connections from the same address (a shared NAT), not on this one, and
# `wake_rate_limited` on the other connections that wake the same mailbox,
# `ice_rate_limited` and `mirror_rate_limited` on the other connections from the same
# address, `no_mirror` on
# whether the mirror service's connection is there, and `unavailable` on the server's
# Redis (the connection is closed with 4503 anyway).
UNCOUNTED_ERRORS = frozenset(
    {
        RATE_LIMITED,
        UNREACHABLE,
        TOO_MANY_TOPICS_PER_ADDRESS,
        WAKE_RATE_LIMITED,
        ICE_RATE_LIMITED,
        MIRROR_RATE_LIMITED,
        NO_MIRROR,
        UNAVAILABLE,
    }
)

# Close codes (§3 "Close codes"). A server may only send 1000 or 3000-4999 through
# daphne's WebSocket layer (autobahn), so the standard codes Parley means are mirrored in
# the 4000s: 4009 for 1009 (message too big), 4011 for 1011 (internal error), 4503 for
# 1013 (try again later).
CLOSE_BAD_VERSION = 4000
CLOSE_TOO_MANY_ERRORS = 4001
CLOSE_IDLE = 4008
CLOSE_FRAME_TOO_LARGE = 4009
CLOSE_INTERNAL_ERROR = 4011
CLOSE_TOO_MANY_CONNECTIONS = 4013
CLOSE_FLOOD = 4029
CLOSE_TRY_AGAIN_LATER = 4503

CLOSE_CODES = (
    CLOSE_BAD_VERSION,
    CLOSE_TOO_MANY_ERRORS,
    CLOSE_IDLE,
    CLOSE_FRAME_TOO_LARGE,
    CLOSE_INTERNAL_ERROR,
    CLOSE_TOO_MANY_CONNECTIONS,
    CLOSE_FLOOD,
    CLOSE_TRY_AGAIN_LATER,
)
