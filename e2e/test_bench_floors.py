"""The benchmarks' floors still do what bench/README.md says they measure: small runs of
each, no timing asserted (timing targets live in bench/).

- bench.connect's floor pages: libsodium loaded, blobs signed and sealed through the real
  server, the certificate check and a signed link proof each way; a sample counts only
  if each page checked the other's proof once and neither page had an error
  (bench.connect.bare_sample raises otherwise), and the bare pages check none.
- bench.files's floor: every byte sealed, hashed, opened and written to OPFS in order.
"""

from bench.bare_channel import MAX_MESSAGE
from bench.connect import bare_sample
from bench.floor_channel import floor_run

MIB = 1 << 20


def test_connect_floor_checks_both_link_proofs(browser, server_url):
    for floor in (False, True):
        assert bare_sample(browser, server_url, floor=floor) > 0


def test_files_floor_writes_every_byte(browser, server_url):
    result = floor_run(
        browser, f"{server_url}/bench/floor", 4 * MIB, MIB, MAX_MESSAGE, 4 * MIB, MIB
    )
    assert result["bytes"] == 4 * MIB
    assert result["path"].startswith("host/")
