"""Looking into what the rendezvous server saw."""

import base64
import json
import re

B64URL = re.compile(r"^[A-Za-z0-9_-]+$")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def decoded_values(frame_text: str):
    """Every string in a JSON frame, and its bytes when it is base64url."""
    try:
        frame = json.loads(frame_text)
    except ValueError:
        return
    stack = [frame]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str) and len(value) >= 16 and B64URL.match(value):
            try:
                yield b64url_decode(value)
            except ValueError:
                pass
