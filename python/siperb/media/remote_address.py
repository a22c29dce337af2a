"""Is the far end's media address (the SDP ``c=`` of the negotiated stream) one we can reach?

The rule (issue #13, "off loopback"): a remote RTP address is refused, with an
:class:`~siperb.errors.SdpNegotiationError` naming ``c=``, when it is

* not an IP literal (SDP from a peer must not make us resolve names),
* of the other family than our media socket (``IN IP6`` on an IPv4-only path, or the reverse),
* a loopback address while our media address is not loopback (it would send our audio to
  ourselves and never hear the peer).

The call then fails visibly instead of carrying one-way or no audio: an offer gets 488 Not
Acceptable Here, an answer in a 200 gets ACK + BYE, and the call ends with outcome
``not_acceptable`` and this reason. We do not fall back to symmetric-RTP latching on such an
address: latching needs a valid destination to send to first, so the peer never gets ours.
The unspecified address (``0.0.0.0``, ``::``) stays allowed: it is an old form of hold.
"""

from __future__ import annotations

import ipaddress

from ..errors import SdpNegotiationError


def check_remote_address(remote: str, local: str) -> None:
    """Raise SdpNegotiationError (field ``c=``) when ``remote`` is unusable from ``local``."""
    if not remote:
        return
    try:
        peer = ipaddress.ip_address(remote.strip("[]"))
    except ValueError:
        raise SdpNegotiationError(f"c=: {remote!r} is not an IP address", field="c=",
                                  reason=f"not an IP address: {remote}") from None  # fmt: skip
    if peer.is_unspecified:
        return
    try:
        ours = ipaddress.ip_address(local.strip("[]"))
    except ValueError:
        return  # our own address is a name or unset: nothing to compare with
    if peer.version != ours.version:
        raise SdpNegotiationError(
            f"c=: IN IP{peer.version} {remote} on an IPv{ours.version} media path ({local})",
            field="c=", reason=f"address family: IP{peer.version} {remote}, ours IPv{ours.version}",
        )  # fmt: skip
    if peer.is_loopback and not ours.is_loopback:
        raise SdpNegotiationError(
            f"c=: loopback address {remote} from a peer off loopback (we are at {local})",
            field="c=", reason=f"loopback address {remote}",
        )  # fmt: skip
