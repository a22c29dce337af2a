"""``MediaTimeout``: the media-inactivity timeout carried the way siperb's other media
settings are (a key of the provisioning object beside MediaProfile, StunServer...; the SDK's
ProvisionPhone() options have no such entry), validated, round-tripped and handed to the
phone's user agent (issue 17)."""

from __future__ import annotations

from typing import Any

import pytest

from siperb.errors import ProvisioningError
from siperb.phone.options import PhoneOptions
from siperb.phone.phone import Phone
from siperb.phone.provisioning import Provisioning

BASE: dict[str, Any] = {
    "RegistrationMode": "Socket", "SipWssServer": "pbx.example.com", "SipUsername": "1000",
    "SipPassword": "pw", "SipDomain": "pbx.example.com", "SipWebsocketPort": 8089,
    "SipServerPath": "/ws",
}  # fmt: skip


def ua_timeout(**provisioning: Any) -> float | None:
    options = PhoneOptions.from_dict({
        "Provisioning": {**BASE, **provisioning}, "ProfileUserId": "p1", "SessionId": "s1",
        "UserId": "u1",
    })  # fmt: skip
    timeout: float | None = Phone(options)._ua_config().media_timeout
    return timeout


def test_media_timeout_reaches_the_user_agent() -> None:
    assert ua_timeout(MediaTimeout=5) == 5.0
    assert ua_timeout(MediaTimeout=0.5) == 0.5
    assert ua_timeout(MediaTimeout=0) is None  # never
    assert ua_timeout() == 30.0  # the user agent's default


def test_media_timeout_round_trips_and_is_left_out_when_unset() -> None:
    p = Provisioning.from_dict({**BASE, "mediatimeout": 12})  # keys are case-insensitive
    assert p.media_timeout == 12.0 and p.to_dict()["MediaTimeout"] == 12.0
    assert Provisioning.from_dict(p.to_dict()) == p
    assert "MediaTimeout" not in Provisioning.from_dict(BASE).to_dict()


@pytest.mark.parametrize("bad", ["30", True, -1, float("inf"), float("nan"), [30]])
def test_a_bad_media_timeout_is_refused_naming_the_key(bad: object) -> None:
    with pytest.raises(ProvisioningError) as err:
        Provisioning.from_dict({**BASE, "MediaTimeout": bad})
    assert err.value.field == "MediaTimeout"
