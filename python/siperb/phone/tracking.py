"""From user-agent events to the SDK's: Call objects, session states, toasts and history rows.

The user agent reports SIP facts (``call_state``, ``hold``, ``transfer`` ...) about SIP calls;
the phone turns each into the SDK's event about its :class:`~siperb.phone.call.Call`, with a
translated label, a frame update, the toast a user expects, and the call's history row.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from ..errors import SiperbError
from ..events import Event
from ..sip.session import CallState, InviteSession, Outcome
from ..sip.useragent import UserAgent
from .call import OUTCOME_TOASTS, STATE_LABELS, Call, CallControl, SessionState, session_state
from .history import MAX_CALL_EVENTS, AsyncHistory, Direction
from .media_control import MediaControl
from .options import PhoneOptions
from .slots import PhoneSlots, incoming_call_payload

log = logging.getLogger("siperb.phone")

#: Phone events kept in a call's CDR ``Events`` (under these names).
LOGGED_EVENTS = {
    "session_state_change": "state", "hold": "hold", "mute": "mute", "dtmf": "dtmf_received",
    "transfer": "transfer", "recording_started": "recording_started",
    "recording_ended": "recording_ended", "media_timeout": "media_timeout",
}  # fmt: skip


class CallTracking(PhoneSlots):
    """The phone's calls, kept in step with the user agent's events.

    ``registered`` is true only while the account is registered *and* its flow is up: a lost
    connection makes it false (``offline``) until the re-REGISTER succeeds (``online``).
    """

    def __init__(self, options: PhoneOptions, media: MediaControl) -> None:
        super().__init__(options)
        self.provisioning = options.provisioning
        self.media = media
        self.registered = False
        self.ua: UserAgent | None = None
        self._history: AsyncHistory | None = None
        self._calls: dict[InviteSession, Call] = {}
        self._tracking: set[asyncio.Task[None]] = set()
        self._transfers: dict[Call, Call] = {}  # consultation call -> the call it transfers
        self._call_ids: dict[str, str] = {}  # session id -> SIP Call-ID (the history key)

    def _ua_ready(self) -> UserAgent:
        if self.ua is None or self._closed:
            raise SiperbError("the phone is not started (or closed)", field="phone")
        return self.ua

    def _set_online(self, online: bool, reason: str = "") -> None:
        """Track registered; ``online``/``offline`` events and slots on each change."""
        was, self.registered = self.registered, online
        if was == online:
            return
        self._emit("online" if online else "offline", reason=reason)
        self._fire_slot("OnOnline" if online else "OnOffline")

    def _on_ua_event(self, ev: Event) -> None:
        handler = getattr(self, f"_ua_{ev.name}", None)
        if handler is not None:
            handler(ev)

    def _emit(self, name: str, **data: Any) -> Event:
        call = data.get("call")
        if name in LOGGED_EVENTS and isinstance(call, Call):
            self._log_event(call, LOGGED_EVENTS[name], data)
        return super()._emit(name, **data)

    @staticmethod
    def _log_event(call: Call, name: str, data: dict[str, Any]) -> None:
        """Note an event in the call's CDR log (capped: the far end may send DTMF all day)."""
        if len(call._events) < MAX_CALL_EVENTS:
            kept = {k: (v.id if isinstance(v, Call) else v) for k, v in data.items()
                    if k not in ("call", "label")}  # fmt: skip
            call._events.append((time.time(), name, kept))

    def _ua_registered(self, ev: Event) -> None:
        self._set_online(True)
        label = self.translator.t("registration.registered")
        self._emit("registered", aor=ev["aor"], expires=ev["expires"], status=ev["status"],
                   reason=ev["reason"], label=label)  # fmt: skip
        self._state_changed("registered", {"aor": ev["aor"], "expires": ev["expires"],
                                           "label": label})  # fmt: skip

    def _ua_unregistered(self, ev: Event) -> None:
        self._set_online(False, "unregistered")
        label = self.translator.t("registration.unregistered")
        self._emit("unregistered", aor=ev["aor"], status=ev["status"], reason=ev["reason"],
                   label=label)  # fmt: skip
        self._state_changed("unregistered", {"aor": ev["aor"], "label": label})

    def _ua_registration_failed(self, ev: Event) -> None:
        self._set_online(False, str(ev["reason"]))
        label = self.translator.t("registration.failed", reason=ev["reason"])
        self._emit("registration_failed", status=ev["status"], reason=ev["reason"], label=label)
        self._state_changed("registration_failed", {"status": ev["status"], "label": label})

    def _ua_transport(self, ev: Event) -> None:
        self._emit("transport", **ev.data)
        if ev["state"] == "lost":
            self._set_online(False, str(ev.get("reason") or "connection lost"))
            self.toast(self.translator.t("error.connection_lost"))

    def _ua_media_timeout(self, ev: Event) -> None:
        """No RTP for ``media_timeout`` seconds: the call is being ended (outcome
        ``media_timeout``); the event goes into the call's CDR Events."""
        self._emit("media_timeout", call=self._wrap(ev["call"]), seconds=ev["seconds"])

    def _ua_incoming_call(self, ev: Event) -> None:
        call = self._wrap(ev["call"])
        caller = call.remote_name or call.remote_uri
        label = self.translator.t("call.incoming", caller=caller)
        buddy_id = self._buddy_id(call)
        self._emit("incoming_call", call=call, caller=caller, label=label, buddy_id=buddy_id)
        self._state_changed("incoming_call", {"call": call.id, "caller": caller, "label": label})
        self._fire_slot("OnIncomingCall", incoming_call_payload(call, buddy_id))

    def _ua_call_state(self, ev: Event) -> None:
        sip_call: InviteSession = ev["call"]
        call = self._wrap(sip_call)
        if sip_call.state is CallState.ESTABLISHED and call.answer_time is None:
            call.answer_time = time.time()
        if sip_call.state is CallState.TERMINATED:
            call.end_time = time.time()
            call.hangup_by = self._hangup_by(call)
            for child, original in list(self._transfers.items()):
                if call is child or call is original:
                    del self._transfers[child]
            if call.recording:  # the media's close finished the file
                call.recording = False
                closed = getattr(self.media, "recording_closed", None)
                self._emit("recording_ended", call=call,
                           recording=closed(sip_call) if closed is not None else None)  # fmt: skip
        self._update_state(call)
        if sip_call.state is CallState.TERMINATED and call.answer_time is None:
            self._toast_unanswered(call)

    def _ua_hold(self, ev: Event) -> None:
        call = self._wrap(ev["call"])
        self._emit("hold", call=call, remote_hold=ev["remote_hold"])

    def _ua_dtmf(self, ev: Event) -> None:
        call = self._wrap(ev["call"])
        self._emit("dtmf", call=call, digit=ev["digit"], method=ev["method"])

    def _ua_transfer(self, ev: Event) -> None:
        data = dict(ev.data)
        data["call"] = self._wrap(ev["call"])
        if isinstance(data.get("new_call"), InviteSession):
            data["new_call"] = self._wrap(data["new_call"])
        self._emit("transfer", **data)

    def _ua_message(self, ev: Event) -> None:
        data = dict(ev.data)
        if isinstance(data.get("call"), InviteSession):
            data["call"] = self._wrap(data["call"])
        self._emit("message", **data)

    # ---- calls and their history ----

    def _wrap(self, sip_call: InviteSession) -> Call:
        call = self._calls.get(sip_call)
        if call is None:
            call = self._calls[sip_call] = Call(self._control(), sip_call)
            task = asyncio.get_running_loop().create_task(self._track(call))
            self._tracking.add(task)
            task.add_done_callback(self._tracking.discard)
            self._announce(call, None)
        return call

    def _update_state(self, call: Call) -> None:
        previous = call._set_state(session_state(call.sip))
        if previous is not None:
            self._announce(call, previous)
        if call.ended:
            self._calls.pop(call.sip, None)

    def _announce(self, call: Call, previous: SessionState | None) -> None:
        label = self.translator.t(STATE_LABELS[call.state])
        self._emit("session_state_change", call=call, state=call.state.value,
                   previous=previous.value if previous else None, label=label)  # fmt: skip
        self._state_changed("session_state_change", {
            "call": call.id, "direction": call.direction, "remote": call.remote_uri,
            "state": call.state.value, "label": label,
        })  # fmt: skip

    @staticmethod
    def _hangup_by(call: Call) -> Any:
        if call._local_end or call.outcome in (Outcome.NO_ACK, Outcome.MEDIA_TIMEOUT):
            return "local"
        if call.outcome is Outcome.TRANSPORT_ERROR:
            return None
        return "remote"

    def _toast_unanswered(self, call: Call) -> None:
        outcome = call.outcome
        if call.direction == "inbound":
            if not call._local_end and outcome is Outcome.CANCELLED:
                caller = call.remote_name or call.remote_uri
                self.toast(self.translator.t("call.missed", caller=caller))
            return
        if call._local_end:
            return
        key = OUTCOME_TOASTS.get(outcome) if outcome is not None else None
        if key is not None:
            self.toast(self.translator.t(key))
        elif call.status >= 300:
            self.toast(self.translator.t("call.failed", reason=f"{call.status} {call.reason}"))

    async def _track(self, call: Call) -> None:
        """Write the call's history row: start, answer, end (in that order, off the loop)."""
        store = self._store()
        sip_call = call.sip
        try:
            await asyncio.sleep(0)  # the INVITE task runs first and fixes the Call-ID
            key = call.call_id or sip_call.id
            self._call_ids[call.id] = key
            if len(self._call_ids) > 1000:  # only recent sessions are looked up by id
                del self._call_ids[next(iter(self._call_ids))]
            direction: Direction = "inbound" if call.direction == "inbound" else "outbound"
            await store.record_start(
                key, direction, call.remote_uri or "sip:unknown", remote_name=call.remote_name,
                local_uri=self.provisioning.aor,
                local_name=self.provisioning.display_name or None, at=call.start_time,
            )  # fmt: skip
            if await asyncio.shield(sip_call.answered):
                await store.record_answer(key, at=call.answer_time)
            await asyncio.shield(sip_call.ended)
            status = call.status if call.status >= 300 else None
            if call.recording_path is not None:
                await store.set_recording(key, call.recording_path)
            record = await store.record_end(
                key, hangup_by=call.hangup_by, sip_status=status,
                sip_reason=(call.reason or None) if status else None, at=call.end_time,
            )  # fmt: skip
            await asyncio.sleep(0)  # the terminated state's event first
            if call._events:
                await store.add_events(key, call._events)
                record = await store.get(key) or record
            call.record = record
            self._emit("call_recorded", call=call, record=call.record)
        except Exception:
            log.exception("could not write the history of %r", call)
        finally:
            call.recorded.set()

    def _store(self) -> AsyncHistory:
        if self._history is None:
            raise SiperbError("the phone is not started", field="history")
        return self._history

    def _buddy_id(self, call: Call) -> str | None:
        """The caller's buddy, if the phone keeps buddies."""
        return None

    def _buddy_number(self, target: str) -> str | None:
        """What a buddy id dials (None: not a buddy id)."""
        return None

    def _known_targets(self) -> list[str]:
        """Targets dialable with the dial pad off besides history (the phone's buddies)."""
        return []

    def _control(self) -> CallControl:
        """What a Call hands its verbs to: the Phone, which enforces every Enable* option."""
        raise NotImplementedError
