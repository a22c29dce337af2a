"""Faults on the path mid-call (phone behind the cone NAT calling baresip over UDP, RTP direct
through the NAT): the link cut for a few seconds, and the NAT forgetting every mapping. The
call survives both with audio both ways afterwards, checked by FFT on each side. What the user
sees: the call stays ESTABLISHED (SIP does not notice), and with ``rtp_timeout_ms`` set the
media session reports ``timeout`` while no RTP arrives and ``rtp_resumed`` when it comes back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from test_nat_calls import BOB_HZ, PHONE_HZ, assert_off_loopback, assert_tone, scenario

from conftest import PhoneAgent
from peers.audio import read_wav_mono
from peers.baresip import CALL_CLOSED, Baresip
from peers.kamailio import Kamailio
from peers.natlab import NatLab

CUT = """
table inet cut {
    chain forward { type filter hook forward priority -10; policy drop; }
    chain input { type filter hook input priority -10; policy drop; }
}
"""


def tail_tone(path: Path, seconds: float = 1.0) -> tuple[float, float]:
    """(dominant Hz, RMS) of the last ``seconds`` of a recording (less its last 0.1 s)."""
    x, rate = read_wav_mono(path)
    x = x[-int((seconds + 0.1) * rate) : -int(0.1 * rate)]
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    spectrum[0] = 0.0
    return float(np.argmax(spectrum)) * rate / x.size, float(np.sqrt(np.mean(x * x)))


def baresip_hears_us_at_the_end(bob: Baresip) -> None:
    decs = [p for p in bob.recordings() if p.name.endswith("-dec.wav")]
    assert decs, f"baresip recorded nothing: {bob.recordings()}"
    assert_tone(*tail_tone(decs[-1]), want=PHONE_HZ)


def call_through_a_fault(
    pbx: Kamailio, pbx_baresip: Callable[..., Baresip], phone: Callable[..., PhoneAgent],
    fault: Callable[[], None],
) -> dict[str, object]:  # fmt: skip
    bob = pbx_baresip("1001", answermode="auto", audio_source=f"ausine,{BOB_HZ:.0f}",
                      audio_codecs="PCMU")  # fmt: skip
    agent = phone(**scenario(pbx, "udp", action="call", target="1001", fault_s=6.0,
                             rtp_timeout_ms=1000, hold_s=1.0))  # fmt: skip
    assert_off_loopback(agent.ready(), "udp")
    agent.in_call()
    fault()
    result = agent.result()
    assert result["ok"] and result["established"], result
    assert_tone(result["heard_hz"], result["heard_rms"], BOB_HZ)  # before the fault
    assert_tone(result["after_hz"], result["after_rms"], BOB_HZ)  # after it: resumed
    assert result["state_after"] == "CallState.ESTABLISHED", result
    bob.await_event(CALL_CLOSED, 10)
    baresip_hears_us_at_the_end(bob)
    return result


@pytest.mark.timeout(120)
def test_link_cut_for_three_seconds_mid_call_audio_resumes(
    pbx: Kamailio, pbx_baresip: Callable[..., Baresip],
    phone: Callable[..., PhoneAgent], natlab: NatLab,
) -> None:  # fmt: skip
    def cut() -> None:
        natlab.nat.nft(CUT)  # everything through (and to) the router is dropped
        try:
            time.sleep(3.0)
        finally:
            natlab.nat.exec("nft", "delete", "table", "inet", "cut")

    result = call_through_a_fault(pbx, pbx_baresip, phone, cut)
    names = [name for name, _ in result["media_events"]]  # type: ignore[attr-defined]
    # The user is told: no RTP for 1 s (timeout), then RTP again (rtp_resumed).
    assert "timeout" in names and "rtp_resumed" in names[names.index("timeout") :], result
    assert "CallState.TERMINATED" not in result["call_states"][:-1], result  # type: ignore[index]
    print("media events:", result["media_events"], "call states:", result["call_states"])


@pytest.mark.timeout(120)
def test_nat_forgets_its_mappings_mid_call_audio_continues(
    pbx: Kamailio, pbx_baresip: Callable[..., Baresip],
    phone: Callable[..., PhoneAgent], natlab: NatLab,
) -> None:  # fmt: skip
    """conntrack -F on the (cone) NAT mid-call: the phone's next RTP packet makes a new
    mapping (same public port: masquerade keeps it when free), so baresip's RTP, sent to the
    same place, gets through again."""
    result = call_through_a_fault(pbx, pbx_baresip, phone, natlab.flush_mappings)
    print("media events:", result["media_events"])
