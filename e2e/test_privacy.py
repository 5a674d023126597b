"""DESIGN.md §3: the server relays only sealed blobs. Capture every frame it handled
during a whole chat session and look for anything it must never see."""

import json

from e2e.frames import b64url_decode, decoded_values


def test_server_sees_no_sdp_candidates_text_keys_names_or_room_secret(new_user):
    ada = new_user("Ada Lovelace")
    link = ada.create_room("Secret garden")
    bob = new_user("Bob Babbage")
    bob.open_invite(link)
    ada.wait_for_peers(1)
    bob.wait_for_peers(1)
    texts = ["the eagle lands at noon", "bring the blue umbrella", "ünïcödé ✓ message"]
    for i, text in enumerate(texts):
        (ada if i % 2 == 0 else bob).send(text)
        (bob if i % 2 == 0 else ada).expect_message(text)

    frames = ada.frames + bob.frames
    kinds = [json.loads(text)["type"] for _, text in frames]
    assert kinds.count("signal") >= 4, "the session must have relayed a handshake"
    assert {"hello", "welcome", "join", "peers", "joined"} <= set(kinds)

    secret_text = link.split("#join=")[1].split("&")[0]
    secret = b64url_decode(secret_text)
    identity_keys = [b64url_decode(user.identity_id) for user in (ada, bob)]
    forbidden_text = [
        "v=0",
        "a=candidate",
        "candidate:",
        "a=fingerprint",
        secret_text,
        ada.identity_id,
        bob.identity_id,
        "Ada Lovelace",
        "Bob Babbage",
        "Secret garden",
        *texts,
    ]
    for _, text in frames:
        for needle in forbidden_text:
            assert needle not in text, f"{needle!r} reached the server"
        for raw in decoded_values(text):
            for needle in (secret, *identity_keys, b"v=0", b"candidate"):
                assert needle not in raw, "a secret travelled base64-encoded"
