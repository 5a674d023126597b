"""The standard lab the tests share: four homes, coturn, the bare page, browsers.

    with NatLab(playwright) as world:
        world.homes["cone_a"], world.homes["symmetric_b"]   # Home (topology.py)
        world.relay.ice_servers()                            # coturn (turn.py)
        world.browser("cone_a")                              # Chromium in that home
        world.parley("stun_and_turn")                        # a Parley server's origin

Two homes behind cone-like NATs and two behind symmetric ones cover every pairing the
tests need; each test opens pages of its own in the shared browsers and closes them.
Browsers start on first use, one per home (and one more per home for calls, with fake
media, `media=True`), and every origin the lab serves is declared secure to them.
"""

from pathlib import Path

from e2e.lab.bare_rtc import PAGE_ORIGIN, start_page_server
from e2e.lab.browser import launch_in
from e2e.lab.parley import start_parley
from e2e.lab.topology import SERVER_ADDRESS, Lab, Nat
from e2e.lab.turn import start_coturn

# Parley servers, started on first use: one offering STUN and TURN, one offering STUN
# only (what users see when a deployment has no relay), and one whose TURN credentials
# live a minute (SHORT_CREDENTIALS), so a test sees links outlive several of them.
PARLEY_PORTS = {"stun_and_turn": 8000, "stun_only": 8001, "short_credentials": 8002}
SHORT_CREDENTIALS = {
    "PARLEY_TURN_TTL_SECONDS": "60",
    # Renewals come every 45 s: the rate limit must allow them (system check E007).
    "PARLEY_ICE_RATE_PER_SECOND": str(1 / 30),
}
PARLEY_ORIGINS = [f"http://{SERVER_ADDRESS}:{port}" for port in PARLEY_PORTS.values()]
HOMES = {
    "cone_a": Nat.CONE,
    "cone_b": Nat.CONE,
    "symmetric_a": Nat.SYMMETRIC,
    "symmetric_b": Nat.SYMMETRIC,
}


class NatLab:
    def __init__(self, playwright):
        self.playwright = playwright
        self.lab = Lab()
        self._browsers: dict[tuple[str, bool], object] = {}
        self._parley: dict[str, str] = {}

    def __enter__(self) -> "NatLab":
        self.lab.__enter__()
        try:
            self.homes = {name: self.lab.add_home(nat) for name, nat in HOMES.items()}
            self.relay = start_coturn(self.lab)
            self.page_origin = start_page_server(self.lab)
        except BaseException:
            self.lab.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        try:
            for browser in self._browsers.values():
                try:
                    browser.close()
                except Exception as error:  # noqa: BLE001 - the lab still closes
                    print(f"closing a lab browser failed: {error!r}")
        finally:
            self.lab.close()

    @property
    def directory(self) -> Path:
        return self.lab.directory

    def browser(self, home: str, *, media: bool = False):
        """The Chromium of `home` (started on first use)."""
        key = (home, media)
        if key not in self._browsers:
            self._browsers[key] = launch_in(
                self.playwright,
                self.homes[home].user,
                self.lab.directory,
                origins=[PAGE_ORIGIN, *PARLEY_ORIGINS],
                media=media,
            )
        return self._browsers[key]

    def parley(self, offers: str = "stun_and_turn") -> str:
        """The origin of the Parley server that `offers` ICE servers (see PARLEY_PORTS),
        started on first use."""
        if offers not in self._parley:
            port = PARLEY_PORTS[offers]
            self._parley[offers] = start_parley(
                self.lab,
                self.relay,
                port=port,
                turn=offers != "stun_only",
                settings=SHORT_CREDENTIALS if offers == "short_credentials" else {},
            )
        return self._parley[offers]
