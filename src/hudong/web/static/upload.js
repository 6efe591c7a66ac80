// Upload page: while an import job runs, poll its state and reload the page when it ends (no inline script:
// the CSP is script-src 'self'). Without JavaScript the page still works (the ↻ link reloads it).
(function () {
  "use strict";
  var job = document.getElementById("job");
  if (!job) { return; }
  var state = job.getAttribute("data-state");
  if (state !== "queued" && state !== "importing") { return; }
  var bar = document.getElementById("job-progress");
  var label = document.getElementById("job-state");
  var seconds = document.getElementById("job-seconds");
  var steps = { queued: 1, importing: 2, done: 3, failed: 3 };
  function poll() {
    fetch("/api/imports/jobs/" + encodeURIComponent(job.getAttribute("data-job")), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        bar.value = steps[j.state] || 1;
        seconds.textContent = j.seconds + " s";
        if (j.state === "done" || j.state === "failed") { window.location.reload(); return; }
        label.textContent = j.state;
        window.setTimeout(poll, 700);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 300);
})();
