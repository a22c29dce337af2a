"""The Phone's media control with the engine: sound devices, mute and call recording."""

from __future__ import annotations

import logging
import os
import tempfile
from typing import Any

from ..errors import MediaError
from ..sip.session import MediaHandler
from .audio import AudioDevice, default_devices, list_devices
from .call_media import EngineMedia, MediaHost, media_factory

log = logging.getLogger("siperb.media")


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
        self._default = media_factory()

    @staticmethod
    def _media(call: Any) -> EngineMedia:
        media = getattr(call, "media", None)
        if not isinstance(media, EngineMedia) or media.session is None:
            raise MediaError("the call has no engine media", field="media",
                             reason="the call was set up with SDP-only media")  # fmt: skip
        return media

    def media_factory(self, ua: MediaHost) -> MediaHandler:
        """EngineMedia on the UA's address with the selected device (the Phone's default)."""
        media = self._default(ua)
        if isinstance(media, EngineMedia):
            if self.device is not None:
                media.source, media.sink = self.device.source, self.device.sink
            self._calls = [m for m in self._calls if not m.closed] + [media]
        return media

    def prepare(self) -> None:
        """Open the default device if there is one (blocking: PortAudio probes the system)."""
        if not self.auto_device or self.device is not None:
            return
        try:
            inp, out = default_devices()
            if inp is not None or out is not None:
                self.device = AudioDevice(input=None if inp else False,
                                          output=None if out else False)  # fmt: skip
        except Exception as exc:  # no usable sound system: calls carry silence
            log.warning("no default audio device: %s", exc)

    def close(self) -> None:
        """Release the sound device (the phone is closing)."""
        if self.device is not None:
            self.device.close()
            self.device = None

    def devices(self) -> list[Any]:
        return list(list_devices())

    def select_device(self, *, input: str | None, output: str | None) -> None:
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
