"""Digest arithmetic against the published examples, and the client's retry policy."""

import pytest

from siperb.errors import AuthenticationError
from siperb.sip.auth import (
    Credentials,
    DigestChallenge,
    DigestClient,
    digest_response,
)

# RFC 7616 section 3.9.1: the same request answered with MD5 and with SHA-256.
RFC7616 = {
    "realm": "http-auth@example.org",
    "nonce": "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
    "opaque": "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS",
    "qop": "auth, auth-int",
}
RFC7616_CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_rfc7616_examples(algorithm: str, expected: str) -> None:
    ch = DigestChallenge.from_params({**RFC7616, "algorithm": algorithm})
    got = digest_response(
        ch,
        method="GET",
        uri="/dir/index.html",
        username="Mufasa",
        password="Circle of Life",
        qop="auth",
        nc=1,
        cnonce=RFC7616_CNONCE,
    )
    assert got == expected


def test_rfc2617_example() -> None:
    ch = DigestChallenge.from_params(
        {
            "realm": "testrealm@host.com",
            "nonce": "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            "qop": "auth",
        }
    )
    got = digest_response(
        ch,
        method="GET",
        uri="/dir/index.html",
        username="Mufasa",
        password="Circle Of Life",
        qop="auth",
        nc=1,
        cnonce="0a4f113b",
    )
    assert got == "6629fae49393a05397450978507c4ef1"


def test_client_header_verifies_on_the_server_side() -> None:
    client = DigestClient([Credentials("1000", "secret")])
    ch = DigestChallenge.from_params(
        {"realm": "siperb", "nonce": "abc", "algorithm": "SHA-512-256", "qop": "auth"}, proxy=True
    )
    headers = client.authorize([ch], method="INVITE", uri="sip:2000@siperb")
    assert headers is not None
    [(name, value)] = headers
    assert name == "Proxy-Authorization" and value.startswith("Digest ")
    params = dict(p.strip().split("=", 1) for p in value[len("Digest ") :].split(","))
    params = {k: v.strip('"') for k, v in params.items()}
    assert params["nc"] == "00000001" and params["algorithm"] == "SHA-512-256"
    assert params["response"] == digest_response(
        ch,
        method="INVITE",
        uri="sip:2000@siperb",
        username="1000",
        password="secret",
        qop="auth",
        nc=1,
        cnonce=params["cnonce"],
    )
    assert "secret" not in value


def test_nonce_count_increments_and_wrong_password_stops() -> None:
    client = DigestClient([Credentials("1000", "wrong")])
    ch = DigestChallenge.from_params({"realm": "r", "nonce": "n1", "qop": "auth"})
    first = client.authorize([ch], method="REGISTER", uri="sip:r")
    assert first is not None and "nc=00000001" in first[0][1]
    # The same nonce again, not stale: the credentials were refused.
    assert client.authorize([ch], method="REGISTER", uri="sip:r") is None
    stale = DigestChallenge.from_params(
        {"realm": "r", "nonce": "n1", "qop": "auth", "stale": "TRUE"}
    )
    again = client.authorize([stale], method="REGISTER", uri="sip:r")
    assert again is not None and "nc=00000002" in again[0][1]


def test_credentials_per_realm_and_strongest_algorithm() -> None:
    client = DigestClient([Credentials("a", "pa", realm="one"), Credentials("b", "pb")])
    md5 = DigestChallenge.from_params({"realm": "one", "nonce": "x"})
    sha = DigestChallenge.from_params({"realm": "one", "nonce": "y", "algorithm": "SHA-256"})
    other = DigestChallenge.from_params({"realm": "two", "nonce": "z"})
    headers = client.authorize([md5, sha, other], method="INVITE", uri="sip:x")
    assert headers is not None and len(headers) == 2
    assert 'username="a"' in headers[0][1] and "algorithm=SHA-256" in headers[0][1]
    assert 'username="b"' in headers[1][1] and "qop" not in headers[1][1]


def test_bad_challenges_name_the_field() -> None:
    with pytest.raises(AuthenticationError) as e:
        DigestChallenge.from_params({"realm": "r", "nonce": "n", "algorithm": "SHA-1"})
    assert e.value.field == "algorithm"
    with pytest.raises(AuthenticationError) as e:
        DigestChallenge.from_params({"realm": "r"})
    assert e.value.field == "nonce"
