"""The client's address, the one the throttle, sessions and audit log all use.

Behind a reverse proxy every request comes from the proxy, so limits per address would
lock out everyone at once. ``TRUSTED_PROXIES`` (``MARKET4_TRUSTED_PROXIES``) says whom to
believe about X-Forwarded-For:

- empty (default): nobody; the header is ignored, the peer address is the client;
- a hop count (``1``, ``2``): that many proxies append to the header, so the client is
  the n-th address from the right (what werkzeug's ProxyFix does);
- a comma list of addresses or CIDRs: walking the header from the right, trusted
  proxies are skipped and the first other address is the client. Only a peer in the
  list is believed at all; anything a client writes to the left of it is ignored.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from flask import Flask, current_app, request

from market4.config import ConfigError
from market4.parsing import ascii_int

EXTENSION = "market4-trusted-proxies"
MAX_ADDRESS_LENGTH = 45  # the columns that store it; IPv6 text is at most 45


@dataclass(frozen=True)
class TrustedProxies:
    hops: int = 0
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @property
    def enabled(self) -> bool:
        return self.hops > 0 or bool(self.networks)

    def trusts(self, address: str) -> bool:
        try:
            parsed = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(parsed in network for network in self.networks)


def parse(setting: object) -> TrustedProxies:
    """``TRUSTED_PROXIES`` as read from config (an int, or a string from the environment)."""
    if setting is None or setting == "" or setting is False:
        return TrustedProxies()
    hops = ascii_int(setting)
    if hops is not None:
        return TrustedProxies(hops=hops)
    if isinstance(setting, list | tuple):
        items = [str(item) for item in setting]
    else:
        items = str(setting).split(",")
    networks = []
    for item in (part.strip() for part in items):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(
                f"MARKET4_TRUSTED_PROXIES: {item!r} is not an address or CIDR "
                "(give a hop count like 1, or a comma list like 10.0.0.1,10.1.0.0/16)"
            ) from None
    return TrustedProxies(networks=tuple(networks))


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = parse(app.config.get("TRUSTED_PROXIES"))


def client_address() -> str | None:
    """The address of whoever sent this request, as far as the trusted proxies tell."""
    peer = request.remote_addr
    proxies = current_app.extensions.get(EXTENSION) or TrustedProxies()
    if not proxies.enabled or not peer:
        return _clip(peer)
    forwarded = [
        part.strip()
        for header in request.headers.getlist("X-Forwarded-For")
        for part in header.split(",")
        if part.strip()
    ]
    if proxies.hops:
        # Each of the n proxies appended the address it saw; fewer entries than hops
        # means the request skipped a proxy, and the header cannot be believed.
        chosen = forwarded[-proxies.hops] if len(forwarded) >= proxies.hops else peer
        return _clip(chosen if _is_address(chosen) else peer)
    if not proxies.trusts(peer):
        return _clip(peer)
    client = peer
    for hop in reversed(forwarded):
        if not _is_address(hop):
            break  # garbage: the last trusted hop is all that is known
        client = hop
        if not proxies.trusts(hop):
            break
    return _clip(client)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _clip(address: str | None) -> str | None:
    return address[:MAX_ADDRESS_LENGTH] if address else address
