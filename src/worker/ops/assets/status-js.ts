/**
 * The page's only script (served as /ui/assets/status.js, CSP `script-src 'self'`): re-fetches the
 * live part every few seconds and as the filter changes, without reloading; pauses while the tab
 * is hidden; says so when the session ended.
 */
export const STATUS_JS = `"use strict";
(function () {
  var POLL_MS = 3000;
  var form = document.getElementById("filters");
  var state = document.getElementById("live-state");
  var updated = document.getElementById("updated");
  if (!form) return;
  var timer = null, inflight = null, typing = null;

  function query() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (v, k) { if (v) params.set(k, String(v)); });
    return params.toString();
  }

  function refresh() {
    if (inflight) inflight.abort();
    var ctl = new AbortController();
    inflight = ctl;
    var q = query();
    return fetch(location.pathname + "/live" + (q ? "?" + q : ""), { credentials: "same-origin", signal: ctl.signal, headers: { accept: "text/html" } })
      .then(function (res) {
        if (res.status === 401) { state.textContent = " · signed out: reload the page to sign in"; stop(); return; }
        if (!res.ok) throw new Error("HTTP " + res.status);
        return res.text().then(function (html) {
          var live = document.getElementById("live");
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById("live");
          if (!live || !fresh) return;
          live.replaceWith(document.adoptNode(fresh));
          var at = fresh.getAttribute("data-generated-at") || "";
          updated.dateTime = at;
          updated.textContent = at.slice(11, 19) + " UTC";
          state.textContent = "";
        });
      })
      .catch(function (e) { if (e.name !== "AbortError") state.textContent = " · update failed (" + e.message + "), retrying"; })
      .finally(function () { if (inflight === ctl) inflight = null; });
  }

  function schedule() { stop(); timer = setInterval(function () { if (!document.hidden) refresh(); }, POLL_MS); }
  function stop() { if (timer) clearInterval(timer); timer = null; }

  function onFilter() {
    history.replaceState(null, "", location.pathname + (query() ? "?" + query() : ""));
    refresh();
  }
  form.addEventListener("input", function (e) {
    clearTimeout(typing);
    typing = setTimeout(onFilter, e.target && e.target.type === "search" ? 200 : 0);
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); onFilter(); });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
  schedule();
})();
`;
