"""A :class:`~siperb.sip.media.MediaHandler` that moves real audio through the media engine.

:class:`EngineMedia` is :class:`~siperb.sip.media.SdpOnlyMedia`'s offer/answer with the RTP port
taken from a :class:`siperb.media.MediaSession`: every negotiation (answer, re-INVITE, hold)
starts or updates that session, RFC 4733 digits go out through it and the digits it receives
become the call's ``dtmf`` events. SDES-SRTP: with ``srtp=True`` we offer RTP/SAVP; SAVP
offers are always answered with a fresh key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from .. import media as engine_mod
from ..events import Event
from ..sdp import Codec, Crypto
from .media import MediaHandler, SdpOnlyMedia

#: The SDES suites we offer (in order) and accept.
SDES_SUITES = ("AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32")


def engine_available() -> bool:
    """True when the native module carries the media engine."""
    try:
        from .. import _core
    except ImportError:
        return False
    return hasattr(_core, "MediaEngine")


def engine_codecs() -> list[Codec]:
    """What the engine encodes, in our preference order (opus first: wideband)."""
    return [Codec.opus(), Codec.pcmu(), Codec.pcma()]


class EngineMedia(SdpOnlyMedia):
    """Offer/answer plus a running :class:`~siperb.media.MediaSession`.

    ``source``/``sink``: any native AudioSource/AudioSink (``siperb.audio``); None sends
    silence and discards what is received. They may be changed at any time
    (:meth:`set_source`, :meth:`set_sink`). ``session`` is the engine session (stats,
    recording, mute).
    """

    def __init__(
        self,
        address: str = "127.0.0.1",
        codecs: Sequence[Codec] | None = None,
        *,
        telephone_event: bool = True,
        srtp: bool = False,
        source: Any = None,
        sink: Any = None,
        engine: engine_mod.Engine | None = None,
        config: engine_mod.SessionConfig | None = None,
    ):
        self.engine = engine or engine_mod.Engine.default()
        self._config = config
        self.session: engine_mod.MediaSession | None = None
        super().__init__(
            address,
            codecs if codecs is not None else engine_codecs(),
            telephone_event=telephone_event,
        )
        self.srtp = srtp
        self.crypto = [
            Crypto(tag=i + 1, suite=suite, key_params=engine_mod.random_srtp_key(suite))
            for i, suite in enumerate(SDES_SUITES)
        ]
        self.source = source
        self.sink = sink
        self.dtmf_received: list[str] = []
        self._call: Any = None
        self._deferred = False  # an inbound call's answer is ready before the user answers

    # ---- SdpOnlyMedia hooks ----

    def _reserve_port(self, address: str) -> int:
        self.session = self.engine.session(self._config, local_address=address)
        self.session.on("dtmf", self._on_dtmf)
        return self.session.local_port

    def _offer_capabilities(self) -> Any:
        return dataclasses.replace(self.capabilities, crypto=self.crypto if self.srtp else [])

    def _answer_capabilities(self) -> Any:
        return dataclasses.replace(self.capabilities, crypto=self.crypto)

    def _negotiated(self) -> None:
        if self.session is None or self.negotiated is None or self.closed or self._deferred:
            return
        params = engine_mod.stream_params(self.negotiated, local=self.local, remote=self.remote)
        first = not self.session.started
        self.session.start(params)
        if first:
            if self.source is not None:
                self.session.set_source(self.source)
            if self.sink is not None:
                self.session.set_sink(self.sink)

    def _send_dtmf(self, digit: str) -> None:
        if self.session is not None:
            self.session.send_dtmf(digit)

    # ---- audio and calls ----

    def set_source(self, source: Any) -> None:
        self.source = source
        if self.session is not None and self.session.started:
            self.session.set_source(source)

    def set_sink(self, sink: Any) -> None:
        self.sink = sink
        if self.session is not None and self.session.started:
            self.session.set_sink(sink)

    def bind_call(self, call: Any) -> None:
        """The call whose ``dtmf`` events the received RFC 4733 digits become.

        For an inbound call the session waits for :meth:`answered`: the answer SDP is made when
        the INVITE arrives, but the microphone must not reach the caller while it rings.
        """
        self._call = call
        self._deferred = getattr(call, "direction", "") == "inbound"

    def answered(self) -> None:
        """The user answered (our 200 went out): start the negotiated session."""
        if self._deferred:
            self._deferred = False
            self._negotiated()

    def _on_dtmf(self, event: Event) -> None:
        if not event.get("ended", True):
            return
        digit = str(event["digit"])
        self.dtmf_received.append(digit)
        if self._call is not None:
            self._call.media_dtmf(digit)

    def close(self) -> None:
        if self.session is not None and not self.closed:
            self.session.close()
        super().close()


class EngineMediaControl:
    """The Phone's media control with the engine: mute, recording and sound devices.

    With ``auto_device`` (the default) :meth:`prepare` (run by ``Phone.start``) opens the
    system's default input/output when PortAudio has one; without a device, calls send silence
    and discard what they receive. :meth:`select_device` switches every call, current and new,
    to another device.
    """

    def __init__(self, *, auto_device: bool = True) -> None:
        self.auto_device = auto_device
        self.device: Any = None
        self._recordings: dict[int, str] = {}
        self._calls: list[EngineMedia] = []

    @staticmethod
    def _media(call: Any) -> EngineMedia:
        media = getattr(call, "media", None)
        if not isinstance(media, EngineMedia) or media.session is None:
            from ..errors import MediaError

            raise MediaError("the call has no engine media", field="media",
                             reason="the call was set up with SDP-only media")  # fmt: skip
        return media

    def media_factory(self, ua: Any) -> MediaHandler:
        """EngineMedia on the UA's address with the selected device (the Phone's default)."""
        media: MediaHandler = ua.make_default_media()
        if isinstance(media, EngineMedia):
            if self.device is not None:
                media.source, media.sink = self.device.source, self.device.sink
            self._calls = [m for m in self._calls if not m.closed] + [media]
        return media

    def prepare(self) -> None:
        """Open the default device if there is one (blocking: PortAudio probes the system)."""
        if not self.auto_device or self.device is not None:
            return
        from ..audio import AudioDevice, default_devices

        try:
            inp, out = default_devices()
            if inp is not None or out is not None:
                self.device = AudioDevice(input=None if inp else False,
                                          output=None if out else False)  # fmt: skip
        except Exception as exc:  # no usable sound system: calls carry silence
            import logging

            logging.getLogger("siperb.media").warning("no default audio device: %s", exc)

    def close(self) -> None:
        """Release the sound device (the phone is closing)."""
        if self.device is not None:
            self.device.close()
            self.device = None

    def devices(self) -> list[Any]:
        from ..audio import list_devices

        return list(list_devices())

    def select_device(self, *, input: str | None, output: str | None) -> None:
        from ..audio import AudioDevice

        old, self.device = self.device, AudioDevice(input=input, output=output)
        for media in self._calls:
            if not media.closed:
                media.set_source(self.device.source)
                media.set_sink(self.device.sink)
        if old is not None:
            old.close()

    def set_muted(self, call: Any, muted: bool) -> None:
        session = self._media(call).session
        assert session is not None
        session.mute(muted)

    def start_recording(self, call: Any, path: str | None) -> Any:
        """Stereo WAV: what we send on the left, what we receive on the right."""
        import os
        import tempfile

        session = self._media(call).session
        assert session is not None
        if path is None:
            path = os.path.join(tempfile.gettempdir(), f"siperb-call-{call.id}.wav")
        session.start_recording(path)
        self._recordings[session.id] = str(path)
        return str(path)

    def recording_closed(self, call: Any) -> Any:
        """The call ended while recording (closing its session completed the file): the path."""
        media = getattr(call, "media", None)
        session = getattr(media, "session", None)
        return None if session is None else self._recordings.pop(session.id, None)

    def stop_recording(self, call: Any) -> Any:
        session = self._media(call).session
        assert session is not None
        session.stop_recording()
        return self._recordings.pop(session.id, None)


class EchoMedia(EngineMedia):
    """EngineMedia that sends back what it receives (the demo's echo peer).

    The engine has no native sink-to-source loop, so a small task on the event loop moves
    each 20 ms of a BufferSink into a BufferSource; that hop adds at most one packet time.
    """

    FRAME_MS = 20

    def __init__(self, address: str = "127.0.0.1", *, rate: int = 48000, **kwargs: Any):
        from ..audio import BufferSink, BufferSource

        self.rate = rate
        self.echo_sink = BufferSink(rate, rate)
        self.echo_source = BufferSource(rate, rate)
        self._pump: Any = None
        super().__init__(address, source=self.echo_source, sink=self.echo_sink, **kwargs)

    def _negotiated(self) -> None:
        super()._negotiated()
        if self._pump is None and self.session is not None and self.session.started:
            import asyncio

            self._pump = asyncio.get_running_loop().create_task(self._echo())

    async def _echo(self) -> None:
        frame = self.rate * self.FRAME_MS // 1000
        while not self.echo_sink.closed:
            pcm = await self.echo_sink.aread(frame)
            if len(pcm):
                self.echo_source.push(pcm)

    def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
        self.echo_sink.close()
        super().close()
