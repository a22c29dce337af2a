// A browser phone's media half, for tests/integration/test_webrtc_browser.py: an
// RTCPeerConnection fed by Chromium's fake microphone (a WAV), SDP exchanged through the test,
// and a WebAudio AnalyserNode on the remote track to measure what arrives.
window.siperbTest = {
  pc: null,
  remote: null,

  async start(role) {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: "max-bundle" });
    this.pc = pc;
    this.remote = new Promise((resolve) => {
      pc.ontrack = (e) => resolve(e.streams[0] || new MediaStream([e.track]));
    });
    for (const t of stream.getTracks()) pc.addTrack(t, stream);
    if (role === "offer") {
      await pc.setLocalDescription(await pc.createOffer());
      await this.gathered();
      return pc.localDescription.sdp;
    }
    return "";
  },

  gathered() {
    const pc = this.pc;
    return new Promise((resolve) => {
      if (pc.iceGatheringState === "complete") return resolve();
      const timer = setTimeout(resolve, 3000);
      pc.addEventListener("icegatheringstatechange", () => {
        if (pc.iceGatheringState === "complete") {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  },

  async answer(offerSdp) {
    await this.pc.setRemoteDescription({ type: "offer", sdp: offerSdp });
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    await this.gathered();
    return this.pc.localDescription.sdp;
  },

  async accept(answerSdp) {
    await this.pc.setRemoteDescription({ type: "answer", sdp: answerSdp });
  },

  async reoffer(direction) {
    for (const t of this.pc.getTransceivers()) t.direction = direction;
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return this.pc.localDescription.sdp;
  },

  async measure(ms) {
    await this.remote;
    // The receiver's track itself: a hold (sendonly) takes it out of its stream for good.
    const receiver = this.pc.getReceivers().find((r) => r.track && r.track.kind === "audio");
    const stream = new MediaStream([receiver.track]);
    // Chromium only pulls a remote WebRTC track into WebAudio while a media element plays it.
    const el = new Audio();
    el.muted = true;
    el.srcObject = stream;
    el.play().catch(() => {});
    const ctx = new AudioContext();
    await ctx.resume();
    const an = ctx.createAnalyser();
    an.fftSize = 8192;
    an.smoothingTimeConstant = 0;
    ctx.createMediaStreamSource(stream).connect(an);
    await new Promise((r) => setTimeout(r, ms));
    const spec = new Float32Array(an.frequencyBinCount);
    an.getFloatFrequencyData(spec);
    let best = 1;
    for (let i = 2; i < spec.length; i++) if (spec[i] > spec[best]) best = i;
    const td = new Float32Array(an.fftSize);
    an.getFloatTimeDomainData(td);
    let sum = 0;
    for (const v of td) sum += v * v;
    const out = { freq: (best * ctx.sampleRate) / an.fftSize, peakDb: spec[best],
                  rms: Math.sqrt(sum / td.length) };
    await ctx.close();
    return out;
  },

  async stats() {
    const out = { transport: null, inbound: null, outbound: null, pair: null };
    (await this.pc.getStats()).forEach((r) => {
      if (r.type === "transport") out.transport = r;
      if (r.type === "inbound-rtp" && r.kind === "audio") out.inbound = r;
      if (r.type === "outbound-rtp" && r.kind === "audio") out.outbound = r;
      if (r.type === "candidate-pair" && r.nominated) out.pair = r;
    });
    return JSON.parse(JSON.stringify(out));
  },

  close() {
    if (this.pc) this.pc.close();
  },
};
