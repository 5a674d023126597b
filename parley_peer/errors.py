"""Protocol errors. ``code`` is a reason code of docs/protocol.md."""


class ProtocolError(Exception):
    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


class EncodingError(ProtocolError, ValueError):
    def __init__(self, detail: str = "") -> None:
        super().__init__("malformed", detail)
