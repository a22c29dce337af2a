"""HTTP Digest authentication for SIP (RFC 3261 22, RFC 7616 algorithms via RFC 8760).

A UA answers 401 (WWW-Authenticate) and 407 (Proxy-Authenticate) challenges with Authorization
and Proxy-Authorization headers. Supported: MD5, MD5-sess, SHA-256, SHA-256-sess, SHA-512-256,
SHA-512-256-sess; qop ``auth`` and ``auth-int``, or none (RFC 2069 style); nonce counts per nonce;
stale nonces; different credentials per realm. The same arithmetic verifies credentials on the
server side (the built-in loopback registrar uses it).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..errors import AuthenticationError

_HASHES = {"MD5": "md5", "SHA-256": "sha256", "SHA-512-256": "sha512_256"}

# The client prefers the strongest algorithm when a server offers several challenges (RFC 8760 2.4).
_PREFERENCE = ("SHA-512-256", "SHA-256", "MD5")


def _hash(algorithm: str, data: str | bytes) -> str:
    base = algorithm.upper().removesuffix("-SESS")
    name = _HASHES.get(base)
    if name is None:
        raise AuthenticationError(f"unsupported digest algorithm {algorithm!r}", field="algorithm")
    raw = data.encode() if isinstance(data, str) else data
    return hashlib.new(name, raw).hexdigest()


@dataclass(frozen=True)
class DigestChallenge:
    """One Digest challenge from a WWW-Authenticate or Proxy-Authenticate header."""

    realm: str
    nonce: str
    algorithm: str = "MD5"
    qop: tuple[str, ...] = ()
    opaque: str | None = None
    stale: bool = False
    proxy: bool = False

    @classmethod
    def from_params(cls, params: Mapping[str, str], *, proxy: bool = False) -> DigestChallenge:
        lower = {k.lower(): v for k, v in params.items()}
        for required in ("realm", "nonce"):
            if required not in lower:
                raise AuthenticationError(f"Digest challenge without {required}", field=required)
        algorithm = lower.get("algorithm", "MD5").upper()
        _hash(algorithm, "")  # reject unknown algorithms now, with the field named
        qop = tuple(q.strip().lower() for q in lower.get("qop", "").split(",") if q.strip())
        return cls(
            realm=lower["realm"],
            nonce=lower["nonce"],
            algorithm=algorithm,
            qop=qop,
            opaque=lower.get("opaque"),
            stale=lower.get("stale", "").lower() == "true",
            proxy=proxy,
        )


def digest_response(
    challenge: DigestChallenge,
    *,
    method: str,
    uri: str,
    username: str,
    password: str,
    qop: str | None,
    nc: int = 1,
    cnonce: str = "",
    body: bytes = b"",
) -> str:
    """The ``response`` value of RFC 7616 3.4.1 (also used by servers to check a client)."""
    alg = challenge.algorithm
    ha1 = _hash(alg, f"{username}:{challenge.realm}:{password}")
    if alg.endswith("-SESS"):
        ha1 = _hash(alg, f"{ha1}:{challenge.nonce}:{cnonce}")
    a2 = f"{method}:{uri}"
    if qop == "auth-int":
        a2 += ":" + _hash(alg, body)
    ha2 = _hash(alg, a2)
    if qop is None:
        return _hash(alg, f"{ha1}:{challenge.nonce}:{ha2}")
    return _hash(alg, f"{ha1}:{challenge.nonce}:{nc:08x}:{cnonce}:{qop}:{ha2}")


@dataclass(frozen=True)
class Credentials:
    """A username and password, for one realm or (realm=None) for any realm."""

    username: str
    password: str = field(repr=False)
    realm: str | None = None


class DigestClient:
    """Answers challenges for a UA, keeping nonce counts and refusing to loop on bad passwords.

    ``authorize`` returns the headers to add to the re-sent request, or ``None`` when the
    request cannot be authorised (no credentials for the realm, or the same nonce challenged
    again without ``stale=true``, which means the credentials were wrong).
    """

    def __init__(self, credentials: Iterable[Credentials]):
        self._credentials = list(credentials)
        self._nonce_counts: dict[tuple[str, str], int] = {}
        # Answers kept per realm, so later requests can pre-authorise without a round trip.
        self._cached: dict[tuple[str, bool], DigestChallenge] = {}

    def credentials_for(self, realm: str) -> Credentials | None:
        exact = [c for c in self._credentials if c.realm == realm]
        fallback = [c for c in self._credentials if c.realm is None]
        return (exact or fallback)[0] if exact or fallback else None

    def authorize(
        self,
        challenges: Iterable[DigestChallenge],
        *,
        method: str,
        uri: str,
        body: bytes = b"",
        first: bool = False,
    ) -> list[tuple[str, str]] | None:
        """``first``: the request had no credentials yet, so a challenge with a nonce seen
        before (servers reuse nonces within their lifetime) is not a sign of a wrong password."""
        by_realm: dict[tuple[str, bool], DigestChallenge] = {}
        for ch in challenges:
            key = (ch.realm, ch.proxy)
            best = by_realm.get(key)
            if best is None or _rank(ch) < _rank(best):
                by_realm[key] = ch
        headers: list[tuple[str, str]] = []
        for key, ch in by_realm.items():
            previous = self._cached.get(key)
            if not first and previous is not None and previous.nonce == ch.nonce and not ch.stale:
                return None  # challenged again with the same nonce: the password is wrong
            creds = self.credentials_for(ch.realm)
            if creds is None:
                return None
            self._cached[key] = ch
            headers.append(self._header(ch, creds, method=method, uri=uri, body=body))
        return headers or None

    def _header(
        self, ch: DigestChallenge, creds: Credentials, *, method: str, uri: str, body: bytes
    ) -> tuple[str, str]:
        qop: str | None = None
        if "auth" in ch.qop:
            qop = "auth"
        elif "auth-int" in ch.qop:
            qop = "auth-int"
        elif ch.qop:
            raise AuthenticationError(f"no supported qop in {ch.qop!r}", field="qop")
        nc = self._nonce_counts.get((ch.realm, ch.nonce), 0) + 1
        self._nonce_counts[(ch.realm, ch.nonce)] = nc
        cnonce = secrets.token_hex(8)
        response = digest_response(
            ch,
            method=method,
            uri=uri,
            username=creds.username,
            password=creds.password,
            qop=qop,
            nc=nc,
            cnonce=cnonce,
            body=body,
        )
        parts = [
            f'username="{_quote(creds.username)}"',
            f'realm="{_quote(ch.realm)}"',
            f'nonce="{_quote(ch.nonce)}"',
            f'uri="{_quote(uri)}"',
            f'response="{response}"',
            f"algorithm={ch.algorithm}",
        ]
        if ch.opaque is not None:
            parts.append(f'opaque="{_quote(ch.opaque)}"')
        if qop is not None:
            parts += [f"qop={qop}", f"nc={nc:08x}", f'cnonce="{cnonce}"']
        name = "Proxy-Authorization" if ch.proxy else "Authorization"
        return name, "Digest " + ", ".join(parts)


def _rank(ch: DigestChallenge) -> int:
    base = ch.algorithm.removesuffix("-SESS")
    return _PREFERENCE.index(base) if base in _PREFERENCE else len(_PREFERENCE)


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')
