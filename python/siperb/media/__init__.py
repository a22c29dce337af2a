"""Media: the faces over the native engine, codecs and wire formats, and the call glue.

- :mod:`~siperb.media.engine`: the real-time engine and its sessions (re-exported here, so
  ``media.Engine``, ``media.StreamParams``, ``media.MemorySource`` and ``media.tone`` work).
- Audio and wire formats: :mod:`~siperb.media.audio` (devices, WAV, tones, buffers),
  :mod:`~siperb.media.codecs`, :mod:`~siperb.media.rtp`, :mod:`~siperb.media.rtcp`,
  :mod:`~siperb.media.dtmf`, :mod:`~siperb.media.jitterbuffer`.
- Call glue, implementing the INVITE session's :class:`~siperb.sip.session.MediaHandler` port:
  :class:`SdpOnlyMedia` (offer/answer, no audio), :class:`EngineMedia` (audio through the
  engine), :func:`media_factory` (what a ``UserAgentConfig`` takes), :class:`EngineMediaControl`
  (the Phone's devices, mute and recording) and :class:`EchoMedia` (the demo's echo peer).
"""

from __future__ import annotations

from . import audio, codecs, dtmf, engine, jitterbuffer, rtcp, rtp
from .call_media import EngineMedia, engine_available, engine_codecs, media_factory
from .control import EngineMediaControl
from .echo import EchoMedia
from .engine import (
    AudioSink,
    AudioSource,
    Engine,
    MediaSession,
    MemorySink,
    MemorySource,
    Recorder,
    SessionConfig,
    SessionStats,
    StreamParams,
    random_srtp_key,
    stream_params,
    tone,
)
from .sdp_media import SdpOnlyMedia

__all__ = [
    "AudioSink",
    "AudioSource",
    "EchoMedia",
    "Engine",
    "EngineMedia",
    "EngineMediaControl",
    "MediaSession",
    "MemorySink",
    "MemorySource",
    "Recorder",
    "SdpOnlyMedia",
    "SessionConfig",
    "SessionStats",
    "StreamParams",
    "audio",
    "codecs",
    "dtmf",
    "engine",
    "engine_available",
    "engine_codecs",
    "jitterbuffer",
    "media_factory",
    "random_srtp_key",
    "rtcp",
    "rtp",
    "stream_params",
    "tone",
]
