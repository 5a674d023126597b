"""mirror/store.py: a kept file comes back after a restart with its chunk format, so the
restarted service checks its chunks with the right hash (docs/protocol.md §11, §12)."""

import nacl.utils
import pytest

from mirror import store
from parley_peer.files import encrypt_file
from parley_peer.mirror_request import MirrorCapability

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("version", [1, 2])
def test_a_kept_file_is_loaded_again_with_its_chunk_format(version):
    capability = MirrorCapability(nacl.utils.random(32), nacl.utils.random(32))
    assert store.hold(capability, max_rooms=10)
    encrypted = encrypt_file(b"\x05" * 1000, version=version)
    store.keep_file(capability.topic, encrypted.root, 1000, version)
    proof = encrypted.tree.proof(0)
    store.save_chunk(capability.topic, encrypted.root, 0, encrypted.ciphertexts[0], proof)
    [room] = store.load_rooms()
    [file] = room.files
    assert (file.root, file.size, file.version) == (encrypted.root, 1000, version)
    assert file.chunks == {0: (encrypted.ciphertexts[0], proof)}
