// The inbox, live (no inline script: the CSP is script-src 'self'). Without JavaScript every part still works
// through its links and forms; with it:
// - the conversation list refreshes itself (GET /inbox/rows every 10 s): new messages appear, marked;
// - the composer saves its draft as you type (PUT /api/inbox/{id}/draft), a template fills it;
// - who else has the conversation open, or is replying, shows above it (POST /api/inbox/{id}/presence);
// - keys: j / k next / previous, r reply, e mark replied, a assign, 1–3 sentiment label, Esc leave a text box.
(function () {
  "use strict";
  var table = document.getElementById("inbox-table");
  var conv = document.getElementById("conversation");
  var composer = document.getElementById("composer");
  var csrf = conv ? conv.getAttribute("data-csrf") : "";
  var item = conv ? conv.getAttribute("data-id") : null;

  function api(method, path, body) {
    return fetch(path, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body)
    });
  }

  // ---- rows: click anywhere on a row to open it; live refresh -------------------------------------------
  function ids() {
    return Array.prototype.map.call(table.querySelectorAll("tr.item"), function (r) { return r.getAttribute("data-id"); });
  }
  if (table) {
    table.addEventListener("click", function (e) {
      var row = e.target.closest("tr.item");
      if (!row || e.target.closest("a")) { return; }
      var link = row.querySelector("a.open-link");
      if (link) { window.location.href = link.href; }
    });
    var note = document.getElementById("live-note");
    var total = document.getElementById("inbox-total");
    var refresh = function () {
      if (document.hidden) { window.setTimeout(refresh, 10000); return; }
      fetch(table.getAttribute("data-rows"), { credentials: "same-origin" })
        .then(function (r) {
          if (!r.ok) { throw new Error(r.status); }
          var n = r.headers.get("X-Inbox-Total");
          return r.text().then(function (html) { return { html: html, total: n }; });
        })
        .then(function (got) {
          var before = ids();
          var body = table.querySelector("tbody");
          var tmp = document.createElement("tbody");
          tmp.innerHTML = got.html;
          var after = Array.prototype.map.call(tmp.querySelectorAll("tr.item"), function (r) { return r.getAttribute("data-id"); });
          if (after.join("\n") !== before.join("\n") || tmp.innerHTML.length !== body.innerHTML.length) {
            var fresh = 0;
            Array.prototype.forEach.call(tmp.querySelectorAll("tr.item"), function (r) {
              if (before.indexOf(r.getAttribute("data-id")) < 0) { r.classList.add("fresh"); fresh += 1; }
            });
            body.innerHTML = tmp.innerHTML;
            if (fresh && note) {
              note.textContent = note.getAttribute("data-template").replace("{n}", fresh);
              note.hidden = false;
            }
          }
          if (got.total !== null && total) {
            table.setAttribute("data-total", got.total);
            total.textContent = table.getAttribute("data-total-template").replace("{n}", got.total);
          }
          window.setTimeout(refresh, 10000);
        })
        .catch(function () { window.setTimeout(refresh, 30000); });
    };
    window.setTimeout(refresh, 10000);
  }

  // ---- composer: templates and the draft saved as you type ---------------------------------------------
  var state = document.getElementById("autosave-state");
  var timer = null;
  function save() {
    timer = null;
    api("PUT", "/api/inbox/" + encodeURIComponent(item) + "/draft", { text: composer.value })
      .then(function (r) { if (r.ok && state) { state.textContent = conv.getAttribute("data-l-saved"); } });
  }
  if (composer && item) {
    composer.addEventListener("input", function () {
      if (state) { state.textContent = "…"; }
      if (timer) { window.clearTimeout(timer); }
      timer = window.setTimeout(save, 800);
    });
    var tpl = document.getElementById("template");
    if (tpl) {
      tpl.addEventListener("change", function () {
        var opt = tpl.options[tpl.selectedIndex];
        var body = opt && opt.getAttribute("data-body");
        if (body) {
          composer.value = composer.value.trim() ? composer.value.replace(/\s*$/, "\n") + body : body;
          composer.dispatchEvent(new Event("input"));
          composer.focus();
        }
      });
    }
    // A sent form needs no pending save (the server clears the drafts of a sent reply).
    document.getElementById("composer-form").addEventListener("submit", function () {
      if (timer) { window.clearTimeout(timer); timer = null; }
    });
  }

  // ---- presence: the collision warning ---------------------------------------------------------------
  if (conv && item && composer) {  // only those who may answer say they are here (readers have no composer)
    var banner = document.getElementById("presence");
    var ping = function () {
      api("POST", "/api/inbox/" + encodeURIComponent(item) + "/presence", { typing: !!(composer && composer.value.trim()) })
        .then(function (r) { return r.ok ? r.json() : { others: [] }; })
        .then(function (j) {
          var words = (j.others || []).map(function (o) {
            return conv.getAttribute(o.typing ? "data-l-typing" : "data-l-viewing").replace("{who}", o.name);
          });
          banner.textContent = words.join(" · ");
          banner.hidden = words.length === 0;
          window.setTimeout(ping, 10000);
        })
        .catch(function () { window.setTimeout(ping, 30000); });
    };
    window.setTimeout(ping, 2000);
  }

  // ---- keyboard --------------------------------------------------------------------------------------
  function go(step) {
    var rows = table ? table.querySelectorAll("tr.item") : [];
    if (!rows.length) { return; }
    var at = -1;
    Array.prototype.forEach.call(rows, function (r, k) { if (r.classList.contains("open")) { at = k; } });
    var next = rows[Math.min(rows.length - 1, Math.max(0, at + step))];
    var link = next && next.querySelector("a.open-link");
    if (link && next !== rows[at]) { window.location.href = link.href; }
  }
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    var typing = t && (t.tagName === "TEXTAREA" || t.tagName === "INPUT" || t.tagName === "SELECT");
    if (e.key === "Escape" && typing) { t.blur(); return; }
    if (typing || e.ctrlKey || e.metaKey || e.altKey) { return; }
    var click = function (sel) { var b = document.querySelector(sel); if (b) { b.click(); } };
    if (e.key === "j") { go(1); } else if (e.key === "k") { go(-1); }
    else if (e.key === "r" && composer) { e.preventDefault(); composer.focus(); }
    else if (e.key === "e") { click("#act-done"); }
    else if (e.key === "a") { var s = document.getElementById("assignee"); if (s) { e.preventDefault(); s.focus(); } }
    else if (e.key === "1") { click('form.label-form[data-task="sentiment"] button[value="positive"]'); }
    else if (e.key === "2") { click('form.label-form[data-task="sentiment"] button[value="neutral"]'); }
    else if (e.key === "3") { click('form.label-form[data-task="sentiment"] button[value="negative"]'); }
  });
})();
