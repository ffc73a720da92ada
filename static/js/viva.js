/* Viva's small client: countdown from the server's deadline, autosave buffer, offline retry.
   No inline script anywhere (strict CSP); htmx does the requests, this file adds resilience. */
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  // Forms marked data-once submit once: a double click does not post twice.
  function guardOnce() {
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.dataset.sent) { event.preventDefault(); return; }
        form.dataset.sent = "1";
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      });
    });
  }

  function localTimes(root) {
    (root || document).querySelectorAll("time[datetime]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (!isNaN(d)) el.textContent = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    });
  }

  function interviewPage(root) {
    var sessionId = root.dataset.session;
    var position = root.dataset.position;
    var resultsUrl = root.dataset.resultsUrl;
    var form = document.getElementById("answer-form");
    var textarea = document.getElementById("answer-text");
    var status = document.getElementById("save-status");
    var timer = document.getElementById("timer");
    var announce = document.getElementById("timer-announce");
    var wordCount = document.getElementById("word-count");
    var key = "viva:" + sessionId + ":" + position;
    var deadline = Number(root.dataset.deadline);
    var offset = Number(root.dataset.serverNow) - Date.now();  // server clock minus ours
    var counters = { pastes: 0, pasted_chars: 0, hidden: 0 };
    var sentCounters = null;
    var lastTick = Date.now();
    var retryTimer = null;
    var closed = false;
    var announced = {};

    // The local copy of the answer: "pending" until the server confirms it, then kept with
    // the revision the server gave it until a page shows that revision. A reload can be
    // served before an in-flight save lands; the page then carries an older revision,
    // and the confirmed copy, not the older page, is what the candidate sees.
    var savedRevision = textarea ? Number(textarea.dataset.savedRevision || 0) : 0;
    function store(entry) {
      try { localStorage.setItem(key, JSON.stringify(entry)); } catch (e) { /* storage full or off */ }
    }
    function buffer() {
      if (textarea) store({ text: textarea.value, at: Date.now(), pending: true });
    }
    function buffered() {
      try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
    }
    function unsaved() {
      var entry = textarea && buffered();
      return Boolean(entry && entry.pending);
    }
    function confirmSaved(text, revision) {
      var entry = buffered();
      if (entry && entry.text === text) store({ text: text, at: entry.at, pending: false, revision: revision });
    }
    function setStatus(text, kind) {
      status.textContent = text;
      status.className = "save-status" + (kind ? " " + kind : "");
    }
    function resend() {
      if (closed || !textarea) return;
      htmx.trigger(textarea, "viva:resend");
    }
    function scheduleRetry() {
      clearTimeout(retryTimer);
      retryTimer = setTimeout(resend, 5000);
    }
    // A saved answer shows as answered in the navigator and its count without a reload.
    function markAnswered(answered) {
      var nav = document.getElementById("question-nav");
      var link = nav && nav.querySelector("a[aria-current=step]");
      if (!link) return;
      link.classList.toggle("answered", answered);
      var states = ["answered", "flagged"].filter(function (s) { return link.classList.contains(s); });
      link.setAttribute("aria-label", ["Question " + link.textContent].concat(states).join(", "));
      var count = document.getElementById("answered-count");
      if (count) {
        count.textContent = nav.querySelectorAll("a.answered").length + " of " +
          nav.querySelectorAll("a").length + " answered";
      }
    }
    function words(text) {
      var n = text.trim() ? text.trim().split(/\s+/).length : 0;
      return n + (n === 1 ? " word" : " words");
    }

    // Restore text typed while the server could not be reached (reload, crash, offline).
    if (textarea) {
      var entry = buffered();
      var newer = entry && (entry.pending || (entry.revision || 0) > savedRevision);
      if (newer && entry.text !== textarea.value) {
        textarea.value = entry.text;
        setStatus("Restored your unsaved text from this browser; saving…", "");
        setTimeout(resend, 50);
      } else if (entry) {
        localStorage.removeItem(key);  // the page already shows it
      }
      textarea.addEventListener("input", function () {
        buffer();
        if (wordCount) wordCount.textContent = words(textarea.value);
      });
      textarea.addEventListener("paste", function (event) {
        var text = (event.clipboardData && event.clipboardData.getData("text")) || "";
        counters.pastes += 1;
        counters.pasted_chars += text.length;
      });
    }
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") {
        counters.hidden += 1;
        if (unsaved()) beacon();
      }
    });

    // Every save carries the integrity counters and the seconds spent since the last one.
    document.body.addEventListener("htmx:configRequest", function (event) {
      if (!form || !form.contains(event.detail.elt)) return;
      var now = Date.now();
      sentCounters = {
        seconds: Math.round((now - lastTick) / 1000),
        pastes: counters.pastes, pasted_chars: counters.pasted_chars, hidden: counters.hidden
      };
      Object.keys(sentCounters).forEach(function (k) { event.detail.parameters[k] = sentCounters[k]; });
      event.detail.elt.dataset.sentText = textarea ? textarea.value : "";
    });


    document.body.addEventListener("htmx:afterRequest", function (event) {
      if (!form || !form.contains(event.detail.elt)) return;
      var xhr = event.detail.xhr;
      var code = xhr ? xhr.status : 0;
      if (code >= 200 && code < 300) {
        var serverDeadline = Number(xhr.getResponseHeader("X-Viva-Deadline"));
        var serverNow = Number(xhr.getResponseHeader("X-Viva-Server-Now"));
        if (serverDeadline) deadline = serverDeadline;
        if (serverNow) offset = serverNow - Date.now();
        if (sentCounters) {
          lastTick += sentCounters.seconds * 1000;
          counters.pastes -= sentCounters.pastes;
          counters.pasted_chars -= sentCounters.pasted_chars;
          counters.hidden -= sentCounters.hidden;
          sentCounters = null;
        }
        status.className = "save-status";
        localTimes(status);
        if (textarea) confirmSaved(event.detail.elt.dataset.sentText, Number(xhr.getResponseHeader("X-Viva-Revision")));
        markAnswered(textarea ? event.detail.elt.dataset.sentText.trim() !== "" : true);
        return;
      }
      sentCounters = null;
      if (code === 409) {
        closed = true;
        setTimeout(function () { window.location.assign(resultsUrl); }, 2500);
        return;
      }
      if (code === 413 || code === 400) return;  // message already shown; text kept locally
      setStatus("Offline — your answer is kept in this browser and will be sent when the connection returns.", "offline");
      scheduleRetry();
    });
    window.addEventListener("online", resend);

    // Flagging swaps its own button; the navigator follows it without a reload.
    document.body.addEventListener("htmx:afterSettle", function () {
      var button = document.querySelector("#flag-form button");
      var link = document.querySelector("#question-nav a[aria-current=step]");
      if (!button || !link) return;
      link.classList.toggle("flagged", button.getAttribute("aria-pressed") === "true");
      var states = ["answered", "flagged"].filter(function (s) { return link.classList.contains(s); });
      link.setAttribute("aria-label", ["Question " + link.textContent].concat(states).join(", "));
    });

    // Leaving the page: send what is not yet saved, without waiting for an answer.
    function beacon() {
      if (!textarea || closed || !navigator.sendBeacon) return;
      var data = new FormData();
      data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      data.append("text", textarea.value);
      navigator.sendBeacon(form.action, data);
    }
    window.addEventListener("pagehide", function () { if (unsaved()) beacon(); });

    function pad(n) { return (n < 10 ? "0" : "") + n; }
    function tick() {
      var left = Math.max(0, Math.round((deadline - (Date.now() + offset)) / 1000));
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      timer.textContent = (h ? h + ":" + pad(m) : m) + ":" + pad(s);
      timer.classList.toggle("low", left <= 60);
      [10, 5, 1].forEach(function (mins) {
        if (left <= mins * 60 && left > mins * 60 - 2 && !announced[mins]) {
          announced[mins] = true;
          announce.textContent = mins + (mins === 1 ? " minute" : " minutes") + " left.";
        }
      });
      if (left <= 0 && !closed) {
        closed = true;
        announce.textContent = "Time is up. Your answers are being submitted.";
        if (unsaved()) beacon();
        setTimeout(function () { window.location.assign(resultsUrl); }, 1500);
      }
    }
    tick();
    setInterval(tick, 1000);
  }

  // The team question form shows only the part its kind uses (both show without JS).
  function questionKind() {
    var radios = document.querySelectorAll("input[name=kind]");
    if (!radios.length) return;
    function show() {
      var checked = document.querySelector("input[name=kind]:checked");
      if (!checked) return;
      document.querySelectorAll("fieldset[data-kind]").forEach(function (set) {
        set.hidden = set.dataset.kind !== checked.value;
      });
    }
    radios.forEach(function (r) { r.addEventListener("change", show); });
    show();
  }

  // Results: a rubric row highlights where the answer says it (and again to clear).
  function evidenceButtons() {
    document.body.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("button.show-evidence");
      if (!button) return;
      var card = button.closest(".answer-result");
      var on = button.getAttribute("aria-pressed") !== "true";
      card.querySelectorAll("button.show-evidence").forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
      card.querySelectorAll("mark.evidence").forEach(function (mark) {
        mark.classList.toggle("focus", on && mark.dataset.ref === button.dataset.ref);
      });
      button.setAttribute("aria-pressed", on ? "true" : "false");
      var first = card.querySelector("mark.evidence.focus");
      if (first) first.scrollIntoView({ block: "nearest" });
    });
  }

  onReady(function () {
    guardOnce();
    evidenceButtons();
    questionKind();
    localTimes(document);
    var root = document.getElementById("interview");
    if (root) interviewPage(root);
  });
})();
