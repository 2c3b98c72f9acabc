// The browser phone (/admin/phone). The server signs and posts every act to the real webhooks
// (admin/phone.py, voice/browser_phone.py); this page plays what the caller hears, shows its
// text, and behaves as a phone: a key stops the prompt (barge-in), the <Gather>'s timeout
// starts when the prompts have finished and then posts silence, several digits end with the
// finish key or the timeout, and hanging up ends the call. Keys 0-9, * and # on the keyboard
// press the keypad; the speak button records while it is held (mouse, touch, Space or Enter).
(function () {
  "use strict";
  var root = document.getElementById("phone");
  if (!root) { return; }
  var d = root.dataset;
  var $ = function (id) { return document.getElementById(id); };
  var transcript = $("transcript"), player = $("player"), status = $("call-status");
  var keys = Array.prototype.slice.call(root.querySelectorAll(".keypad .key"));
  var speakBtn = $("speak"), speakNote = $("speak-note");
  var call = {token: "", expect: {kind: "none"}, busy: false, digits: "", queue: [],
              timer: null, poll: null, playing: false};
  var KEYS = "0123456789*#";

  function fill(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (m, k) {
      return values && values[k] !== undefined ? values[k] : m;
    });
  }

  function line(text, cls) {
    var li = document.createElement("li");
    li.textContent = text;
    if (cls) { li.className = cls; }
    transcript.appendChild(li);
    transcript.scrollTop = transcript.scrollHeight;
    return li;
  }

  function say(text) { status.textContent = text; }

  function clearTimers() {
    if (call.timer) { clearTimeout(call.timer); call.timer = null; }
    if (call.poll) { clearTimeout(call.poll); call.poll = null; }
  }

  function stopAudio() {
    call.queue = [];
    call.playing = false;
    player.pause();
  }

  // -- talking to the server ------------------------------------------------------------------
  function send(url, body, isForm) {
    var headers = {"Accept": "application/json", "X-CSRFToken": d.csrf};
    if (!isForm) { headers["Content-Type"] = "application/json"; }
    return fetch(url, {method: "POST", credentials: "same-origin", headers: headers,
                       body: isForm ? body : JSON.stringify(body)})
      .then(function (r) { return r.json(); });
  }

  function step(action, value) {
    clearTimers();
    stopAudio();
    call.busy = true;
    controls();
    return send(d.stepUrl, {token: call.token, action: action, value: value || ""})
      .then(handle, failed);
  }

  function failed() {
    call.busy = false;
    call.expect = {kind: "ended"};
    say(d.tErrNetwork);
    controls();
  }

  // -- what the server answered ---------------------------------------------------------------
  function handle(answer) {
    call.busy = false;
    if (answer.token) { call.token = answer.token; }
    if (!answer.heard) {  // a refusal: the call goes on as it was
      say(answer.message || d.tErrNetwork);
      if (answer.error === "ended" || answer.error === "bad_token") { call.expect = {kind: "ended"}; }
      controls();
      startWaiting();
      return;
    }
    answer.heard.forEach(function (h) {
      if (h.pressed) { line(fill(d.tPressedLang, {keys: h.pressed}), "act"); return; }
      var li = line(h.text);
      if (h.audio) {
        li.dataset.audio = h.audio;
        call.queue.push({url: h.audio, li: li, pause: Number(h.pause) || 0});
      } else {
        var note = document.createElement("span");
        note.className = "hint";
        note.textContent = " " + d.tAudioMissing;
        li.appendChild(note);
        call.queue.push({url: "", li: li, pause: Number(h.pause) || 0,
                         words: h.text.split(/\s+/).length});
      }
    });
    call.expect = answer.expect || {kind: "none"};
    call.digits = "";
    if (answer.error) { say(answer.message); } else { describe(); }
    controls();
    playNext();
  }

  function describe() {
    var e = call.expect;
    if (e.kind === "keys") {
      say(fill(d.tWaiting, {seconds: e.timeout}) +
          (e.keys && e.keys.length ? " " + fill(d.tOffered, {keys: e.keys.join(", ")}) : ""));
    }
    else if (e.kind === "transfer") { say(fill(d.tTransfer, {number: e.number})); }
    else if (e.kind === "record") { say(d.tRecord); }
    else if (e.kind === "room") { say(d.tRoom + (e.star ? " " + d.tRoomStar : "")); }
    else if (e.kind === "ended") { say(d.tEnded); }
  }

  // -- playing, then waiting as the phone waits -----------------------------------------------
  function playNext() {
    Array.prototype.forEach.call(transcript.querySelectorAll(".playing"),
                                 function (li) { li.classList.remove("playing"); });
    var item = call.queue.shift();
    if (!item) { call.playing = false; startWaiting(); return; }
    call.playing = true;
    item.li.classList.add("playing");
    var delay = item.pause * 1000;
    if (!item.url) {  // said by the phone service's own voice: about 150 words a minute
      call.timer = setTimeout(playNext, delay + Math.min(item.words * 400, 10000));
      return;
    }
    call.timer = setTimeout(function () {
      player.src = item.url;
      var p = player.play();
      if (p && p.catch) { p.catch(function () { if (call.playing) { playNext(); } }); }
    }, delay);
  }
  player.addEventListener("ended", function () { if (call.playing) { playNext(); } });
  player.addEventListener("error", function () { if (call.playing) { playNext(); } });

  function startWaiting() {
    clearTimers();
    var e = call.expect;
    if (call.busy || call.playing) { return; }
    if (e.kind === "keys") {
      call.timer = setTimeout(function () {
        if (call.digits) { submitDigits(); } else { line(d.tSilence, "act"); step("silence"); }
      }, (e.timeout || 5) * 1000);
    } else if (e.kind === "room") {
      call.poll = setTimeout(function () { step("poll"); }, 2500);
    }
  }

  // -- the caller's acts ----------------------------------------------------------------------
  function submitDigits() {
    var digits = call.digits;
    call.digits = "";
    if (!digits) { line(d.tSilence, "act"); step("silence"); return; }
    line(fill(d.tPressed, {keys: digits}), "act");
    step("keys", digits);
  }

  function press(key) {
    var e = call.expect;
    if (call.busy) { return; }
    var btn = root.querySelector('.key[data-key="' + key + '"]');
    if (btn) { btn.classList.add("pressed"); setTimeout(function () { btn.classList.remove("pressed"); }, 150); }
    if (e.kind === "room" && key === "*" && e.star) {
      line(fill(d.tPressed, {keys: key}), "act");
      step("keys", key);
      return;
    }
    if (e.kind !== "keys") { return; }
    stopAudio();  // barge-in: a key stops the prompt
    clearTimers();
    if (e.finish_on_key && key === e.finish_on_key) { submitDigits(); return; }
    call.digits += key;
    if (e.num_digits && call.digits.length >= e.num_digits) { submitDigits(); return; }
    call.timer = setTimeout(submitDigits, (e.timeout || 5) * 1000);
  }

  function controls() {
    var e = call.expect, live = e.kind !== "ended" && e.kind !== "none" && !call.busy;
    keys.forEach(function (b) {
      b.disabled = !(live && (e.kind === "keys" || (e.kind === "room" && b.dataset.key === "*" && e.star)));
    });
    $("hang-up").disabled = !(e.kind !== "ended" && e.kind !== "none");
    $("transfer-done").hidden = !(live && e.kind === "transfer");
    $("no-recording").hidden = !(live && e.kind === "record");
    $("room-end").hidden = !(live && e.kind === "room" && !e.host);
    $("dial").disabled = call.busy || (e.kind !== "ended" && e.kind !== "none");
    var speech = live && e.kind === "keys" && e.speech;
    var hasModel = speech && e.recognisable;
    speakBtn.disabled = !hasModel;
    if (e.kind !== "keys" || call.busy) { speakNote.textContent = ""; }
    else if (!e.speech) { speakNote.textContent = d.tSpeakKeysOnly; }
    else if (!hasModel) {
      var name = d["lang" + e.speech_lang.charAt(0).toUpperCase() + e.speech_lang.slice(1)] || e.speech_lang;
      speakNote.textContent = fill(d.tSpeakNone, {language: name});
    } else { speakNote.textContent = d.tSpeakHint; }
  }

  keys.forEach(function (b) { b.addEventListener("click", function () { press(b.dataset.key); }); });
  document.addEventListener("keydown", function (ev) {
    var tag = (ev.target && ev.target.tagName) || "";
    if (ev.ctrlKey || ev.metaKey || ev.altKey || /INPUT|SELECT|TEXTAREA/.test(tag)) { return; }
    if (ev.key.length === 1 && KEYS.indexOf(ev.key) >= 0) { ev.preventDefault(); press(ev.key); }
  });
  $("hang-up").addEventListener("click", function () { step("hangup"); });
  $("transfer-done").addEventListener("click", function () { step("transfer_done"); });
  $("no-recording").addEventListener("click", function () { step("no_recording"); });
  $("room-end").addEventListener("click", function () { step("room_end"); });

  $("dial-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var number = $("phone-number");
    $("dial-error").textContent = "";
    if ($("phone-number-error")) { $("phone-number-error").textContent = ""; number.removeAttribute("aria-invalid"); }
    transcript.textContent = "";
    call.busy = true;
    controls();
    send(d.dialUrl, {from: $("phone-from").value, number: number ? number.value : "",
                     line: $("phone-line").value, lang: $("phone-lang").value,
                     model: $("phone-model").value})
      .then(function (answer) {
        if (!answer.heard) {
          call.busy = false;
          var target = answer.field === "number" && $("phone-number-error") ? $("phone-number-error") : $("dial-error");
          target.textContent = answer.message;
          if (target.id === "phone-number-error") { number.setAttribute("aria-invalid", "true"); number.focus(); }
          controls();
          return;
        }
        handle(answer);
        var first = keys.filter(function (b) { return !b.disabled; })[0];
        if (first) { first.focus(); }
      }, failed);
  });
  $("phone-from").addEventListener("change", function () {
    var row = $("number-row");
    if (row) { row.hidden = $("phone-from").value !== "own"; }
    var opt = $("phone-from").selectedOptions[0];
    if (opt && opt.dataset.lang) { $("phone-lang").value = opt.dataset.lang; }
  });
  $("phone-from").dispatchEvent(new Event("change"));

  // -- hold to speak --------------------------------------------------------------------------
  var mic = {stream: null, recorder: null, chunks: [], held: false};

  function startSpeaking() {
    if (speakBtn.disabled || mic.held) { return; }
    if (!navigator.mediaDevices || !window.MediaRecorder) {  // plain http elsewhere than loopback
      speakNote.textContent = d.tNoMicrophone;
      return;
    }
    mic.held = true;
    stopAudio();
    clearTimers();
    speakBtn.classList.add("listening");
    speakNote.textContent = d.tListening;
    var ready = mic.stream ? Promise.resolve(mic.stream)
      : navigator.mediaDevices.getUserMedia({audio: true});
    ready.then(function (stream) {
      mic.stream = stream;
      if (!mic.held) { return; }
      mic.chunks = [];
      mic.recorder = new MediaRecorder(stream);
      mic.recorder.addEventListener("dataavailable", function (ev) { if (ev.data.size) { mic.chunks.push(ev.data); } });
      mic.recorder.addEventListener("stop", upload);
      mic.recorder.start();
    }).catch(function () {
      mic.held = false;
      speakBtn.classList.remove("listening");
      speakNote.textContent = d.tNoMicrophone;
      startWaiting();
    });
  }

  function stopSpeaking() {
    if (!mic.held) { return; }
    mic.held = false;
    speakBtn.classList.remove("listening");
    if (mic.recorder && mic.recorder.state === "recording") { mic.recorder.stop(); }
  }

  function upload() {
    var blob = new Blob(mic.chunks, {type: mic.recorder.mimeType || "audio/webm"});
    var form = new FormData();
    form.append("token", call.token);
    form.append("audio", blob, "speech.webm");
    speakNote.textContent = d.tRecognising;
    call.busy = true;
    controls();
    send(d.speechUrl, form, true).then(function (answer) {
      if (answer.recognised !== undefined) {
        line(answer.recognised ? fill(d.tYouSaid, {words: answer.recognised}) : d.tNothingHeard, "act");
      }
      handle(answer);
    }, failed);
  }

  speakBtn.addEventListener("pointerdown", function (ev) { ev.preventDefault(); startSpeaking(); });
  speakBtn.addEventListener("pointerup", stopSpeaking);
  speakBtn.addEventListener("pointerleave", stopSpeaking);
  speakBtn.addEventListener("keydown", function (ev) {
    if (ev.key === " " || ev.key === "Enter") { ev.preventDefault(); if (!ev.repeat) { startSpeaking(); } }
  });
  speakBtn.addEventListener("keyup", function (ev) {
    if (ev.key === " " || ev.key === "Enter") { ev.preventDefault(); stopSpeaking(); }
  });
  // Closing or leaving the page mid-call hangs up, as putting the phone down does.
  window.addEventListener("pagehide", function () {
    var e = call.expect;
    if (!call.token || e.kind === "ended" || e.kind === "none" || !navigator.sendBeacon) { return; }
    var form = new FormData();
    form.append("csrf_token", d.csrf);
    form.append("token", call.token);
    form.append("action", "hangup");
    navigator.sendBeacon(d.stepUrl, form);
    call.expect = {kind: "ended"};
  });
  controls();
}());
