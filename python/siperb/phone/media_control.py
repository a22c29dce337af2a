"""What the phone asks of media beyond offer/answer: devices, mute and recording."""

from __future__ import annotations

from typing import Any, Protocol

from ..errors import MediaError


class MediaControl(Protocol):
    """The phone's media control (:class:`siperb.media.EngineMediaControl` with the engine).

    ``call`` is the SIP-level call, whose ``media`` is what the media factory built.
    """

    def devices(self) -> list[Any]:
        """Audio devices (inputs and outputs)."""

    def select_device(self, *, input: str | None, output: str | None) -> None:
        """Use these devices for calls from now on."""

    def set_muted(self, call: Any, muted: bool) -> None:
        """Stop (or resume) sending the microphone on ``call``."""

    def start_recording(self, call: Any, path: str | None) -> Any:
        """Record both directions of ``call``; returns where it goes."""

    def stop_recording(self, call: Any) -> Any:
        """Stop recording; returns the finished recording."""


class NoMediaEngine:
    """The media control of a build without the native engine: devices and recording raise
    ``MediaError("media engine not available")``; mute only sets the call's flag."""

    REASON = "media engine not available"

    def _missing(self, what: str) -> MediaError:
        return MediaError(f"{what}: {self.REASON}", field=what, reason=self.REASON)

    def devices(self) -> list[Any]:
        raise self._missing("devices")

    def select_device(self, *, input: str | None, output: str | None) -> None:
        raise self._missing("select_device")

    def set_muted(self, call: Any, muted: bool) -> None:
        """Nothing to do: SDP-only media sends no audio, muted or not."""

    def start_recording(self, call: Any, path: str | None) -> Any:
        raise self._missing("recording")

    def stop_recording(self, call: Any) -> Any:
        raise self._missing("recording")
