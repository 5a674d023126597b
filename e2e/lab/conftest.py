"""Fixtures of the NAT lab (e2e/lab/): one lab per session, pages per test.

The lab needs root; without it these fixtures fail with the reason, they never skip.
"""

import pytest

from e2e.lab.bare_rtc import open_page
from e2e.lab.nat_lab import NatLab


@pytest.fixture(scope="session")
def nat_lab(playwright):
    with NatLab(playwright) as world:
        yield world


@pytest.fixture
def lab_page(nat_lab):
    """lab_page(home): a fresh page on the bare test origin in that home's browser."""
    pages = []

    def make(home: str):
        page = open_page(nat_lab.browser(home), nat_lab.page_origin)
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.close()
