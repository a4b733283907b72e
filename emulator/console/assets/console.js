// sfemu console: live updates over Server-Sent Events and filters that
// apply as they change. No framework; the pages work without it.
(function () {
  "use strict";

  // Filters: a select that changes submits its form.
  document.querySelectorAll("form[data-autosubmit] select").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });

  var body = document.body;
  var url = body.dataset.events;
  var badge = document.getElementById("live");
  if (!url || !window.EventSource) {
    if (badge) { badge.textContent = "not live"; }
    return;
  }
  var seen = {};
  try { seen = JSON.parse(body.dataset.versions || "{}"); } catch (e) { seen = {}; }

  function setBadge(state, text) {
    if (!badge) { return; }
    badge.className = "live-" + state;
    badge.textContent = text;
  }

  // The topics whose counters moved since the page (or its last refresh) read them.
  function moved(now) {
    var out = [];
    Object.keys(now).forEach(function (k) {
      if (seen[k] !== now[k]) { out.push(k); }
    });
    return out;
  }

  // Sections to refresh: those listening to a moved topic. One holding the
  // focus (a form being filled) waits for the next change.
  function stale(topics) {
    var out = [];
    document.querySelectorAll("[data-topics]").forEach(function (el) {
      var listens = el.dataset.topics.split(" ");
      if (!topics.some(function (t) { return listens.indexOf(t) >= 0; })) { return; }
      if (el.contains(document.activeElement) && document.activeElement !== document.body) { return; }
      out.push(el);
    });
    return out;
  }

  var busy = false, again = null;
  function refresh(now) {
    if (busy) { again = now; return; }
    var topics = moved(now);
    if (topics.length === 0) { return; }
    var els = stale(topics);
    if (els.length === 0) { seen = now; return; }
    busy = true;
    fetch(location.href, { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        els.forEach(function (el) {
          var fresh = el.id && doc.getElementById(el.id);
          if (fresh) {
            fresh.classList.add("refreshed");
            el.replaceWith(fresh);
          }
        });
        try { seen = JSON.parse(doc.body.dataset.versions || "{}"); } catch (e) { seen = now; }
        body.dataset.versions = JSON.stringify(seen);
      })
      .catch(function () { /* the next change tries again */ })
      .then(function () {
        busy = false;
        if (again) { var next = again; again = null; refresh(next); }
      });
  }

  // The browser reconnects a dropped stream by itself; one refused (too
  // many streams open) it gives up, so the page tries again later.
  function connect() {
    var es = new EventSource(url);
    es.addEventListener("open", function () { setBadge("on", "live"); });
    es.addEventListener("error", function () {
      setBadge("off", "reconnecting");
      if (es.readyState === EventSource.CLOSED) { setTimeout(connect, 5000); }
    });
    es.addEventListener("changes", function (ev) {
      setBadge("on", "live");
      var now;
      try { now = JSON.parse(ev.data); } catch (e) { return; }
      refresh(now);
    });
  }
  connect();
})();
