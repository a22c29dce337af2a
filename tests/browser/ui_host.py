"""The browser tests' peers: a phone host thread (loopback service, phones with WebFrames)
and the embedding site (an outer page on its own origin)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any


class PhoneHost:
    """An asyncio loop on its own thread (Playwright's sync API owns the main one) running the
    loopback SIP service and the phones with their WebFrames."""

    def __init__(self) -> None:
        import asyncio
        import threading

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="phone-host",
                                       daemon=True)  # fmt: skip
        self.thread.start()
        self.svc: Any = None
        self.phones: list[Any] = []

    def run(self, coro: Any, timeout: float = 20.0) -> Any:
        import asyncio

        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start_service(self) -> Any:
        from siperb.demo import LoopbackService

        self.svc = self.run(LoopbackService(callback_delay=0.2).start())
        return self.svc

    def phone(self, *, allowed_origins: Sequence[str] = (), media: bool = True,
              provisioning: Any = None, **options: Any) -> tuple[Any, Any]:  # fmt: skip
        """(phone, frame): a registered phone whose PhoneFrame is a started WebFrame."""
        from siperb.demo import manual_provisioning
        from siperb.media import EngineMediaControl, engine_available
        from siperb.phone import ProvisionPhone
        from siperb.phone.history import MEMORY
        from siperb.phone.media_control import NoMediaEngine
        from siperb.ui import WebFrame

        async def make() -> tuple[Any, Any]:
            frame = await WebFrame(allowed_origins=list(allowed_origins)).start()
            control = (EngineMediaControl(auto_device=False) if media and engine_available()
                       else NoMediaEngine())  # fmt: skip
            prov = provisioning or manual_provisioning(self.svc.port)
            opts = {"Provisioning": prov, "PhoneFrame": frame,
                    "ProfileUserId": f"browser-{len(self.phones)}", "SessionId": "s",
                    "UserId": "u", **options}  # fmt: skip
            phone = await ProvisionPhone(opts, history_path=MEMORY, media_control=control)
            return phone, frame

        phone, frame = self.run(make())
        self.phones.append((phone, frame))
        return phone, frame

    def close_phone(self, phone: Any, frame: Any) -> None:
        async def close() -> None:
            await phone.close()
            await frame.close()

        self.run(close())
        self.phones.remove((phone, frame))

    def close(self) -> None:
        for phone, frame in list(self.phones):
            with contextlib.suppress(Exception):
                self.close_phone(phone, frame)
        if self.svc is not None:
            with contextlib.suppress(Exception):
                self.run(self.svc.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class HostPages:
    """The embedding site: a plain HTTP server on 127.0.0.1 (its own origin, another port)
    serving the outer pages a test puts in ``pages`` (path -> HTML)."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        pages: dict[str, str] = {}
        self.pages = pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/favicon.ico":  # no icon, and no 404 in the console
                    self.send_response(204)
                    self.end_headers()
                    return
                body = pages.get(self.path.split("?", 1)[0])
                data = (body or "not found").encode()
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def embed(self, path: str, frame_url: str, *, width: int = 320, height: int = 320) -> str:
        """An outer page with the frame in an iframe that records the SDK events it posts."""
        self.pages[path] = (
            "<!doctype html><html><head><title>host</title></head>"
            '<body style="margin:0;background:#cfd8d4">'
            f'<iframe id="phone" src="{frame_url}" width="{width}" height="{height}" '
            'style="border:0;display:block" allow="microphone; autoplay"></iframe>'
            "<script>window.sdkEvents = []; window.addEventListener('message', (e) => "
            "{ window.sdkEvents.push({origin: e.origin, data: e.data}); });</script>"
            "</body></html>"
        )
        return self.origin + path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ---- audio through "This browser" (test_ui_browser_audio.py, tests/netns/test_ui_remote.py) ----

#: Measures the page's speaker element (the browser leg's received stream) with an AnalyserNode:
#: ``{freq, peakDb}`` of the loudest bin after ``ms`` milliseconds, or null without a stream.
MEASURE_JS = """async (ms) => {
  const el = document.getElementById("browser-audio");
  const stream = el.srcObject;
  if (!stream) return null;
  const ctx = new AudioContext();
  await ctx.resume();
  const an = ctx.createAnalyser();
  an.fftSize = 8192; an.smoothingTimeConstant = 0;
  ctx.createMediaStreamSource(stream).connect(an);
  await new Promise((r) => setTimeout(r, ms));
  const spec = new Float32Array(an.frequencyBinCount);
  an.getFloatFrequencyData(spec);
  let best = 1;
  for (let i = 2; i < spec.length; i++) if (spec[i] > spec[best]) best = i;
  const out = { freq: (best * ctx.sampleRate) / an.fftSize, peakDb: spec[best] };
  await ctx.close();
  return out;
}"""


def dominant(x: Any, rate: int) -> float:
    """The loudest frequency of int16 samples ``x`` (Hann window, DC ignored)."""
    import numpy as np

    spec = np.abs(np.fft.rfft(x.astype(np.float64) * np.hanning(len(x))))
    spec[0] = 0
    return float(np.argmax(spec) * rate / len(x))


class FarEnd:
    """The loopback service's peer media (its ``media_factory``): a looped tone out,
    everything heard kept (engine only); ``sinks[-1]`` is the last call's."""

    def __init__(self, tone_hz: float, rate: int = 16000) -> None:
        self.tone_hz, self.rate = tone_hz, rate
        self.sinks: list[Any] = []

    def __call__(self, ua: Any) -> Any:
        from siperb.media import EngineMedia
        from siperb.media import engine as engine_mod

        source = engine_mod.MemorySource(engine_mod.tone(self.tone_hz, 2, self.rate), self.rate,
                                         loop=True)  # fmt: skip
        sink = engine_mod.MemorySink(self.rate, self.rate * 30)
        self.sinks.append(sink)
        return EngineMedia(ua.media_host(), source=source, sink=sink)


@contextlib.contextmanager
def loopback_host(far: FarEnd) -> Iterator[PhoneHost]:
    """A PhoneHost whose loopback service's peer carries ``far``'s media (a known tone)."""
    from siperb.demo import LoopbackService

    h = PhoneHost()
    h.svc = h.run(LoopbackService(callback_delay=0.2, media_factory=far).start())
    try:
        yield h
    finally:
        h.close()
