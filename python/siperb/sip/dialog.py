"""SIP dialogs (RFC 3261 section 12): identity, route set, remote target and CSeq rules."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from . import Message, Request
from .transaction import cseq_of

#: Requests that refresh the remote target (RFC 3261 12.2, RFC 3311, RFC 6665).
TARGET_REFRESH = frozenset({"INVITE", "UPDATE", "SUBSCRIBE", "NOTIFY", "REFER"})


def new_tag() -> str:
    return secrets.token_hex(6)


def _contact_target(message: Message) -> str | None:
    contacts = message.contact
    return str(contacts[0].uri) if contacts else None


@dataclass
class Dialog:
    """One side's view of a dialog. ``id`` is (Call-ID, local tag, remote tag)."""

    call_id: str
    local_tag: str
    remote_tag: str
    local_uri: str  # the From/To name-addr value of our side, without tag
    remote_uri: str
    remote_target: str
    route_set: list[str] = field(default_factory=list)
    local_seq: int = 0
    remote_seq: int | None = None
    secure: bool = False
    early: bool = False

    @property
    def id(self) -> tuple[str, str, str]:
        return (self.call_id, self.local_tag, self.remote_tag)

    @classmethod
    def as_uac(cls, request: Message, response: Message) -> Dialog:
        """From our request and a 101-299 response carrying a To tag (12.1.2)."""
        remote_tag = response.to.tag if response.to is not None else None
        if not remote_tag:
            raise ValueError("a dialog needs the remote tag")
        return cls(
            call_id=request.call_id or "",
            local_tag=(request.from_.tag if request.from_ is not None else None) or "",
            remote_tag=remote_tag,
            local_uri=_without_tag(request.header("From") or ""),
            remote_uri=_without_tag(request.header("To") or ""),
            remote_target=_contact_target(response) or str(request.uri),
            route_set=list(reversed(response.header_values("Record-Route"))),
            local_seq=cseq_of(request).number,
            secure=str(request.uri).lower().startswith("sips:"),
            early=(response.status or 0) < 200,
        )

    @classmethod
    def as_uas(cls, request: Message, local_tag: str) -> Dialog:
        """From a received dialog-creating request and the tag of our response (12.1.1)."""
        return cls(
            call_id=request.call_id or "",
            local_tag=local_tag,
            remote_tag=(request.from_.tag if request.from_ is not None else None) or "",
            local_uri=_without_tag(request.header("To") or ""),
            remote_uri=_without_tag(request.header("From") or ""),
            remote_target=_contact_target(request) or "",
            route_set=list(request.header_values("Record-Route")),
            local_seq=secrets.randbelow(2**31),
            remote_seq=cseq_of(request).number,
            secure=str(request.uri).lower().startswith("sips:"),
        )

    def confirm(self, response: Message) -> None:
        """A 2xx confirms an early dialog; its Record-Route and Contact are final (12.1.2)."""
        self.early = False
        if response.header_values("Record-Route"):
            self.route_set = list(reversed(response.header_values("Record-Route")))
        target = _contact_target(response)
        if target:
            self.remote_target = target

    def request(
        self,
        method: str,
        via: str,
        contact: str | None = None,
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
        cseq: int | None = None,
    ) -> Message:
        """An in-dialog request (12.2.1.1), with loose or strict routing per the route set."""
        if cseq is None:
            if method not in ("ACK", "CANCEL"):
                self.local_seq += 1
            cseq = self.local_seq
        uri = self.remote_target
        routes = list(self.route_set)
        if routes and ";lr" not in routes[0].lower():
            # Strict routing (RFC 2543 proxies): the first route becomes the Request-URI.
            uri = routes[0].strip().lstrip("<").split(">")[0]
            routes = [*routes[1:], f"<{self.remote_target}>"]
        out: list[tuple[str, str]] = [("Via", via), ("Max-Forwards", "70")]
        out += [("Route", r) for r in routes]
        out += [
            ("From", f"{self.local_uri};tag={self.local_tag}"),
            ("To", f"{self.remote_uri};tag={self.remote_tag}"),
            ("Call-ID", self.call_id),
            ("CSeq", f"{cseq} {method}"),
        ]
        if contact and method in TARGET_REFRESH:
            out.append(("Contact", contact))
        return Request(method, uri, out + list(headers or []), body)

    def accept_request(self, request: Message) -> int | None:
        """Checks an in-dialog request (12.2.2); returns an error status or None when fine."""
        seq = cseq_of(request).number
        if request.method not in ("ACK", "CANCEL"):
            if self.remote_seq is not None and seq <= self.remote_seq:
                return 500  # out of order (a retransmission is absorbed by its transaction)
            self.remote_seq = seq
        if request.method in TARGET_REFRESH:
            target = _contact_target(request)
            if target:
                self.remote_target = target
        return None


def _without_tag(value: str) -> str:
    """The name-addr of a From/To value with its ``tag`` parameter removed."""
    head, sep, params = value.partition(">")
    if not sep:  # addr-spec form: parameters after the URI belong to the header
        head, _, params = value.partition(";")
        kept = [p for p in params.split(";") if p and not p.strip().lower().startswith("tag=")]
        return ";".join([head, *kept]) if kept else head
    kept = [p for p in params.split(";") if p.strip() and not p.strip().lower().startswith("tag=")]
    return head + ">" + "".join(";" + p.strip() for p in kept)
