// Upload page: while an import job runs, poll its state and progress (rows processed, quarantined, percent) and
// reload the page when it ends (no inline script: the CSP is script-src 'self'). Without JavaScript the page
// still works (the ↻ link reloads it).
(function () {
  "use strict";
  var job = document.getElementById("job");
  if (!job) { return; }
  var state = job.getAttribute("data-state");
  if (state !== "queued" && state !== "importing" && state !== "scoring") { return; }
  var bar = document.getElementById("job-progress");
  var percent = document.getElementById("job-percent");
  var rows = document.getElementById("job-rows");
  var quarantined = document.getElementById("job-quarantined");
  var label = document.getElementById("job-state");
  var seconds = document.getElementById("job-seconds");
  var fmt = window.Intl ? new Intl.NumberFormat() : { format: String };
  function poll() {
    fetch("/api/imports/jobs/" + encodeURIComponent(job.getAttribute("data-job")), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        bar.value = j.percent || 0;
        percent.textContent = (j.percent || 0) + "%";
        rows.textContent = fmt.format(j.rows_done || 0);
        quarantined.textContent = fmt.format(j.rows_quarantined || 0);
        seconds.textContent = j.seconds + " s";
        if (j.state === "done" || j.state === "failed") { window.location.reload(); return; }
        var key = j.state === "scoring" ? "scoring" : j.stage;
        if (key && job.getAttribute("data-l-" + key)) { label.textContent = job.getAttribute("data-l-" + key); }
        window.setTimeout(poll, 700);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 300);
})();
