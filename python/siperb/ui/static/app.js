// siperb phone frame: the page side of the control protocol (docs/ui-protocol.md).
// Plain JavaScript, no build step, no external asset. Text only through textContent.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const app = $("app");
  const PAD = [["1", ""], ["2", "ABC"], ["3", "DEF"], ["4", "GHI"], ["5", "JKL"], ["6", "MNO"],
    ["7", "PQRS"], ["8", "TUV"], ["9", "WXYZ"], ["*", ""], ["0", "+"], ["#", ""]];
  const DIGITS = "0123456789*#";
  const S = {
    ws: null, nextId: 1, pending: new Map(), messages: {}, options: {}, state: null,
    clockSkew: 0, parentOrigin: null, history: [], historyOffset: 0, missed: 0, view: "dial",
    stats: {}, retry: 0, ring: null, devices: null, browserAudio: false, pc: null, mic: null,
  };
  const BROWSER = "@browser"; // the "This browser" device (docs/ui-protocol.md)

  // ---- strings ----
  function t(key, params) {
    let text = S.messages[key];
    if (text === undefined) return key;
    if (params) text = text.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
    return text;
  }
  function applyStrings() {
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    document.querySelectorAll("[data-i18n-title]").forEach((el) => {
      el.title = t(el.dataset.i18nTitle); el.setAttribute("aria-label", el.title);
    });
    document.querySelectorAll("[data-i18n-placeholder]").forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
    document.title = t("ui.title");
  }

  // ---- the control channel ----
  function connect() {
    const token = location.pathname.split("/")[2] || "";
    const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/f/${token}/ws`);
    S.ws = ws;
    ws.onopen = () => {
      S.retry = 0;
      $("offline").hidden = true;
      send("hello", { languages: Array.from(navigator.languages || [navigator.language || "en"]).slice(0, 16) });
    };
    ws.onmessage = (ev) => { let m; try { m = JSON.parse(ev.data); } catch (e) { return; } onMessage(m); };
    ws.onclose = () => {
      S.ws = null;
      $("offline-text").textContent = t("ui.disconnected");
      $("offline").hidden = false;
      S.retry = Math.min(S.retry + 1, 6);
      setTimeout(connect, 250 * 2 ** S.retry);
    };
  }
  function send(op, args) {
    const id = S.nextId++;
    const msg = Object.assign({ id: id, op: op }, args || {});
    return new Promise((resolve) => {
      if (!S.ws || S.ws.readyState !== 1) { resolve(null); return; }
      S.pending.set(id, resolve);
      S.ws.send(JSON.stringify(msg));
    });
  }
  // for tests and integrations inside this origin: send a command; is the ringtone playing?
  window.siperbFrame = { send: send, ringing: () => !!S.ring, browserLeg: () => S.pc };

  function onMessage(m) {
    switch (m.type) {
      case "reply": {
        const done = S.pending.get(m.id);
        S.pending.delete(m.id);
        if (!m.ok) showToast(m.error.message, null, true, m.error);
        if (done) done(m.ok ? (m.result === undefined ? null : m.result) : null);
        break;
      }
      case "hello": onHello(m); break;
      case "state": S.state = m.state; S.clockSkew = m.state.now - Date.now(); render(); break;
      case "toast": showToast(m.message, m.title, false); break;
      case "error": showToast(m.error.message, null, true, m.error); break;
      case "stats": S.stats[m.call] = m; renderQuality(); break;
      case "history": onHistory(m, false); break;
      case "avatar": setAvatar(m.url); break;
      case "event": toParent(m.sdk); break;
    }
  }

  function onHello(m) {
    S.messages = m.messages; S.options = m.options || {}; S.parentOrigin = m.parent_origin;
    document.documentElement.lang = m.language;
    document.documentElement.dir = m.dir;
    document.documentElement.dataset.theme = S.options.UiThemeStyle || "light";
    applyStrings();
    applyOptions();
    const acct = m.account || {};
    $("name").textContent = acct.display_name || "";
    $("acct-aor").textContent = acct.aor || "";
    $("acct-server").textContent = acct.server || "";
    $("avatar").textContent = m.initials;
    if (m.avatar) setAvatar(m.avatar);
    const lang = $("set-language");
    lang.textContent = "";
    lang.append(new Option(t("ui.language.auto"), "auto"));
    Object.entries(m.languages || {}).forEach(([code, name]) => lang.append(new Option(name, code)));
    lang.value = m.language;
    $("set-theme").value = S.options.UiThemeStyle || "light";
    $("set-dtmf").value = (m.settings && m.settings.DtmfType) || "info";
    S.browserAudio = !!m.browser_audio && !!window.RTCPeerConnection && !!navigator.mediaDevices;
    render();
  }

  function applyOptions() {
    const o = S.options;
    const show = (id, on) => { $(id).hidden = !on; };
    show("avatar", o.EnableAvatar !== false);
    show("btn-settings", o.EnableSettings === true);
    show("btn-devices", o.EnableDeviceSelector !== false);
    const pad = o.EnableDialPad !== false;
    show("dial-entry", pad); show("pad", pad); show("btn-keypad", pad);
    show("btn-transfer", o.EnableCallTransfer !== false);
    show("btn-hold", o.EnableCallHold !== false);
    show("btn-mute", o.EnableCallMute !== false);
    show("btn-record", o.EnableCallRecording !== false);
  }

  function toParent(sdk) {
    // The SDK's events go to the embedding page, to its configured origin only (never "*").
    if (window.parent !== window && S.parentOrigin) window.parent.postMessage(sdk, S.parentOrigin);
  }

  // ---- rendering ----
  function calls() { return (S.state && S.state.calls) || []; }
  function incomingCall() { return calls().find((c) => c.state === "incoming"); }
  function activeCalls() { return calls().filter((c) => c.state !== "incoming"); }
  function currentCall() {
    const live = activeCalls();
    return live.find((c) => !c.held && !c.consultation_of) || live.find((c) => !c.held) || live[live.length - 1];
  }
  function who(c) { return c.name || c.remote.replace(/^sips?:/, "") || t("ui.unknown_caller"); }

  function render() {
    if (!S.state) return;
    const reg = $("reg");
    reg.dataset.state = S.state.registration;
    $("reg-label").textContent = t({ registered: "registration.registered", failed: "ui.reg.failed",
      unregistered: "registration.unregistered" }[S.state.registration] || "registration.registering");
    const inc = incomingCall();
    $("incoming").hidden = !inc;
    if (inc) { $("incoming-who").textContent = who(inc); $("incoming-avatar").textContent = initialsOf(who(inc)); }
    ringing(!!inc && !S.state.ringer); // a chosen ringer device rings in the phone's process
    const live = activeCalls();
    if (live.length && (S.view === "dial")) S.view = "call";
    if (!live.length && S.view === "call") { S.view = "dial"; $("transfer-box").hidden = true; $("incall-pad").hidden = true; }
    app.dataset.view = S.view;
    renderCalls(live);
    renderQuality();
  }

  function renderCalls(live) {
    const box = $("calls");
    box.textContent = "";
    const cur = currentCall();
    live.forEach((c) => {
      const line = document.createElement("div");
      line.className = "callline" + (c === cur ? " current" : "");
      line.dataset.call = c.id; line.dataset.state = c.state;
      const info = document.createElement("div"); info.className = "info";
      const name = document.createElement("div"); name.className = "name"; name.textContent = who(c);
      const st = document.createElement("div"); st.className = "state";
      const STATE_KEYS = { calling: "call.state.calling", incoming: "call.state.ringing", ringing: "call.state.ringing",
        early_media: "call.state.ringing", established: "call.state.connected", on_hold: "call.state.on_hold", terminated: "call.state.ended" };
      let label = STATE_KEYS[c.state] ? t(STATE_KEYS[c.state]) : c.label; // in the page's language
      if (c.consultation_of) label = t("ui.consultation") + " · " + label;
      if (c.remote_hold) label += " · " + t("ui.on_hold_remote");
      if (c.recording) label += " · " + t("ui.recording");
      st.textContent = label;
      info.append(name, st);
      const timer = document.createElement("span"); timer.className = "timer"; timer.dataset.since = c.answered_at || "";
      line.append(info, timer);
      if (c !== cur && live.length > 1 && S.options.EnableCallHold !== false) {
        const sw = document.createElement("button"); sw.textContent = t("ui.swap");
        sw.addEventListener("click", () => swapTo(c));
        line.append(sw);
      }
      box.append(line);
    });
    tick();
    if (!cur) return;
    setToggle("btn-mute", cur.muted, "ui.unmute", "ui.mute");
    setToggle("btn-hold", cur.held, "ui.resume", "ui.hold");
    setToggle("btn-record", cur.recording, "ui.record.stop", "ui.record");
    const consult = live.find((c) => c.consultation_of);
    $("consult-box").hidden = !consult;
    if (consult) $("transfer-box").hidden = true;
  }
  function setToggle(id, on, onKey, offKey) {
    const b = $(id); b.setAttribute("aria-pressed", on ? "true" : "false"); b.textContent = t(on ? onKey : offKey);
  }
  async function swapTo(c) {
    const cur = currentCall();
    if (cur && !cur.held && cur.state === "established") await send("hold", { call: cur.id, on: true });
    if (c.held) await send("hold", { call: c.id, on: false });
  }
  function tick() {
    const now = Date.now() + S.clockSkew;
    document.querySelectorAll(".timer").forEach((el) => {
      const since = Number(el.dataset.since);
      if (!since) { el.textContent = ""; return; }
      el.textContent = clock(Math.max(0, Math.floor((now - since) / 1000)));
    });
  }
  function clock(s) {
    const mm = String(Math.floor(s / 60) % 60).padStart(2, "0"); const ss = String(s % 60).padStart(2, "0");
    return s >= 3600 ? `${Math.floor(s / 3600)}:${mm}:${ss}` : `${String(Math.floor(s / 60)).padStart(2, "0")}:${ss}`;
  }
  function renderQuality() {
    const cur = currentCall();
    const q = cur && S.stats[cur.id];
    $("quality").textContent = q ? t("ui.quality", { jitter: q.jitter_ms, loss: q.loss_percent, mos: q.mos.toFixed(1) }) : "";
  }

  function initialsOf(name) {
    const user = name.replace(/^sips?:/, "").split("@")[0];
    const words = user.split(/[\s._]+/).filter(Boolean);
    if (!words.length) return "?";
    return (words.length === 1 ? words[0].slice(0, 2) : words[0][0] + words[words.length - 1][0]).toUpperCase();
  }
  function setAvatar(url) {
    const el = $("avatar"); el.textContent = "";
    const img = document.createElement("img"); img.alt = t("ui.avatar"); img.src = url; el.append(img);
  }

  // ---- toasts ----
  function showToast(text, title, isError, error) {
    const box = $("toasts");
    const el = document.createElement("div"); el.className = "toast" + (isError ? " error" : "");
    if (error) { el.dataset.errorType = error.type; el.dataset.errorField = error.field || ""; }
    if (title) { const b = document.createElement("b"); b.textContent = title; el.append(b); }
    el.append(document.createTextNode(text));
    box.append(el);
    while (box.children.length > 3) box.firstChild.remove();
    setTimeout(() => el.remove(), isError ? 6000 : 4000);
  }

  // ---- ringtone (WebAudio: no audio file to ship) ----
  function ringing(on) {
    if (on && !S.ring) {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      const ctx = new Ctx(); const gain = ctx.createGain(); gain.gain.value = 0; gain.connect(ctx.destination);
      [440, 480].forEach((f) => { const o = ctx.createOscillator(); o.frequency.value = f; o.connect(gain); o.start(); });
      let phase = 0;
      const timer = setInterval(() => { phase = (phase + 1) % 6; gain.gain.value = phase < 2 ? 0.08 : 0; }, 500);
      S.ring = { ctx: ctx, timer: timer };
      if (ctx.state === "suspended") ctx.resume().catch(() => {});
    } else if (!on && S.ring) {
      clearInterval(S.ring.timer); S.ring.ctx.close().catch(() => {}); S.ring = null;
    }
  }

  // ---- history ----
  function onHistory(m, append) {
    S.history = append ? S.history.concat(m.rows) : m.rows;
    S.historyOffset = (m.offset || 0) + m.rows.length;
    S.missed = m.missed || 0;
    const badge = $("missed");
    badge.hidden = !S.missed; badge.textContent = String(S.missed);
    badge.title = t("ui.missed_badge", { count: S.missed });
    $("btn-more").hidden = m.rows.length < 20;
    const list = $("history"); list.textContent = "";
    S.history.forEach((r) => list.append(historyRow(r)));
    $("history-empty").hidden = S.history.length > 0;
    const quick = $("recent-quick"); quick.textContent = "";
    if (S.options.EnableDialPad === false) S.history.slice(0, 5).forEach((r) => quick.append(historyRow(r)));
  }
  function historyRow(r) {
    const li = document.createElement("li");
    li.className = r.outcome === "missed" ? "missed" : "";
    const info = document.createElement("div"); info.className = "info";
    const name = document.createElement("span"); name.className = "who2"; name.textContent = r.name || r.remote.replace(/^sips?:/, "");
    const sub = document.createElement("span"); sub.className = "sub";
    const kind = r.outcome === "missed" ? t("ui.history.missed") : t(r.direction === "inbound" ? "ui.history.inbound" : "ui.history.outbound");
    const why = { busy: "call.busy", declined: "call.declined", cancelled: "call.cancelled", "no answer": "call.no_answer" }[r.outcome];
    const talk = r.outcome === "answered" && r.duration ? clock(Math.round(r.duration)) : (why ? t(why) : "");
    sub.textContent = [kind, talk, new Date(r.start).toLocaleString(document.documentElement.lang)].filter(Boolean).join(" · ");
    info.append(name, sub);
    const back = document.createElement("button"); back.textContent = t("ui.history.call_back");
    back.addEventListener("click", () => { S.view = "dial"; send("dial", { target: r.remote }); });
    li.append(info, back);
    return li;
  }

  // ---- devices ----
  async function loadDevices() {
    const res = await send("devices");
    if (!res) return;
    const fill = (id, want, chosen) => {
      const sel = $(id); sel.textContent = "";
      sel.append(new Option(t("ui.devices.default"), ""));
      res.devices.filter((d) => d[want]).forEach((d) => sel.append(new Option(d.name, d.name)));
      sel.value = chosen || "";
    };
    fill("dev-input", "input", res.input); fill("dev-output", "output", res.output); fill("dev-ringer", "output", res.ringer);
    if (S.browserAudio) ["dev-input", "dev-output"].forEach((id) => {
      const sel = $(id), keep = sel.value;
      sel.append(new Option(t("ui.devices.browser"), BROWSER));
      sel.value = S.pc ? BROWSER : keep;
    });
    $("devices-none").hidden = res.devices.length > 0;
  }

  // ---- "This browser": our microphone and speaker over a WebRTC leg to the phone's engine ----
  function gathered(pc) {
    return new Promise((resolve) => { // no trickle: the offer carries our candidates
      if (pc.iceGatheringState === "complete") return resolve();
      const timer = setTimeout(resolve, 3000);
      pc.addEventListener("icegatheringstatechange", () => {
        if (pc.iceGatheringState === "complete") { clearTimeout(timer); resolve(); }
      });
    });
  }
  async function startBrowserAudio() {
    stopBrowserAudio(false);
    let mic;
    try { mic = await navigator.mediaDevices.getUserMedia({ audio: true }); } catch (e) {
      showToast(String(e.message || e), null, true); return;
    }
    const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: "max-bundle" });
    S.pc = pc; S.mic = mic;
    mic.getTracks().forEach((tr) => pc.addTrack(tr, mic));
    pc.ontrack = (e) => {
      const el = $("browser-audio");
      el.srcObject = e.streams[0] || new MediaStream([e.track]);
      el.play().catch(() => {});
    };
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const res = await send("browser_offer", { sdp: pc.localDescription.sdp });
    if (S.pc !== pc) return; // replaced meanwhile
    if (!res) { stopBrowserAudio(false); loadDevices(); return; }
    await pc.setRemoteDescription({ type: "answer", sdp: res.sdp });
    $("dev-input").value = BROWSER; $("dev-output").value = BROWSER;
  }
  function stopBrowserAudio(tell) {
    if (!S.pc) return;
    S.pc.close(); S.pc = null;
    if (S.mic) S.mic.getTracks().forEach((tr) => tr.stop());
    S.mic = null; $("browser-audio").srcObject = null;
    if (tell) send("browser_close");
  }

  // ---- user actions ----
  function buildPad(el, onKey) {
    PAD.forEach(([d, letters]) => {
      const b = document.createElement("button");
      b.type = "button"; b.dataset.key = d;
      const big = document.createElement("b"); big.textContent = d;
      const small = document.createElement("small"); small.textContent = letters;
      b.append(big, small);
      b.addEventListener("click", () => onKey(d));
      el.append(b);
    });
  }
  function dial() {
    const target = $("target").value.trim();
    if (!target) return;
    send("dial", { target: target }).then((res) => { if (res) $("target").value = ""; });
  }
  function currentId() { const c = currentCall(); return c ? c.id : undefined; }

  function wire() {
    buildPad($("pad"), (d) => { $("target").value += d; $("target").focus(); });
    buildPad($("incall-pad"), (d) => send("dtmf", { digits: d, call: currentId() }));
    $("btn-dial").addEventListener("click", dial);
    $("target").addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); dial(); } });
    $("target").addEventListener("paste", (e) => {
      const text = (e.clipboardData && e.clipboardData.getData("text")) || "";
      if (!text) return;
      e.preventDefault();
      const clean = /^[\d\s().+*#-]+$/.test(text) ? text.replace(/[\s().-]/g, "") : text.trim();
      $("target").value += clean;
    });
    $("btn-backspace").addEventListener("click", () => { const i = $("target"); i.value = i.value.slice(0, -1); });
    $("btn-answer").addEventListener("click", () => { const c = incomingCall(); if (c) send("answer", { call: c.id }); });
    $("btn-decline").addEventListener("click", () => { const c = incomingCall(); if (c) send("decline", { call: c.id }); });
    $("btn-hangup").addEventListener("click", () => send("hangup", { call: currentId() }));
    $("btn-mute").addEventListener("click", () => { const c = currentCall(); if (c) send("mute", { call: c.id, on: !c.muted }); });
    $("btn-hold").addEventListener("click", () => { const c = currentCall(); if (c) send("hold", { call: c.id, on: !c.held }); });
    $("btn-record").addEventListener("click", () => { const c = currentCall(); if (c) send("record", { call: c.id, on: !c.recording }); });
    $("btn-keypad").addEventListener("click", () => { $("incall-pad").hidden = !$("incall-pad").hidden; });
    $("btn-transfer").addEventListener("click", () => { $("transfer-box").hidden = !$("transfer-box").hidden; $("transfer-target").focus(); });
    const transfer = (mode) => {
      const target = $("transfer-target").value.trim();
      if (!target) return;
      send("transfer", { target: target, mode: mode, call: currentId() }).then((r) => {
        if (r !== null || mode === "blind") { $("transfer-target").value = ""; $("transfer-box").hidden = true; }
      });
    };
    $("btn-blind").addEventListener("click", () => transfer("blind"));
    $("btn-attended").addEventListener("click", () => transfer("attended"));
    const consult = () => activeCalls().find((c) => c.consultation_of);
    $("btn-complete").addEventListener("click", () => { const c = consult(); if (c) send("transfer_complete", { call: c.id }); });
    $("btn-cancel-transfer").addEventListener("click", () => { const c = consult(); if (c) send("transfer_cancel", { call: c.id }); });
    document.querySelectorAll("[data-view-to]").forEach((b) => b.addEventListener("click", () => {
      const to = b.dataset.viewTo;
      S.view = to === "dial" && activeCalls().length ? "call" : to;
      app.dataset.view = S.view;
      if (to === "history") { send("seen_missed").then(() => { $("missed").hidden = true; }); send("history", { offset: 0, limit: 20 }).then((r) => { if (r) onHistory(r, false); }); }
      if (to === "devices") loadDevices();
    }));
    $("btn-more").addEventListener("click", () => send("history", { offset: S.historyOffset, limit: 20 }).then((r) => { if (r) onHistory(r, true); }));
    $("set-theme").addEventListener("change", (e) => send("set_setting", { key: "UiThemeStyle", value: e.target.value }));
    $("set-language").addEventListener("change", (e) => send("set_setting", { key: "Language", value: e.target.value }));
    $("set-dtmf").addEventListener("change", (e) => send("set_setting", { key: "DtmfType", value: e.target.value }));
    ["dev-input", "dev-output", "dev-ringer"].forEach((id) => $(id).addEventListener("change", (e) => {
      const key = { "dev-input": "input", "dev-output": "output", "dev-ringer": "ringer" }[id];
      if (e.target.value === BROWSER) { startBrowserAudio(); return; }
      if (S.pc && key !== "ringer") { stopBrowserAudio(true); loadDevices(); }
      if (e.target.value || key === "ringer") send("select_device", { [key]: e.target.value }); // "": the page rings
    }));
    document.addEventListener("keydown", (e) => {
      if (S.view !== "call" || $("incall-pad").hidden || e.target.tagName === "INPUT") return;
      if (DIGITS.includes(e.key)) send("dtmf", { digits: e.key, call: currentId() });
    });
    setInterval(tick, 1000);
  }

  wire();
  connect();
})();
