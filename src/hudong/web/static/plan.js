// The content calendar: drag an item to another day to reschedule it (same time of day), through the API.
(function () {
  var table = document.getElementById("plan");
  if (!table || !table.getAttribute("data-can-plan")) return;
  var csrf = table.getAttribute("data-csrf");
  table.addEventListener("dragstart", function (e) {
    var item = e.target.closest && e.target.closest(".plan-item");
    if (!item) return;
    e.dataTransfer.setData("text/plain", item.getAttribute("data-id") + " " + item.getAttribute("data-time"));
    e.dataTransfer.effectAllowed = "move";
  });
  table.addEventListener("dragover", function (e) {
    if (e.target.closest && e.target.closest("td.day")) e.preventDefault();
  });
  table.addEventListener("drop", function (e) {
    var day = e.target.closest && e.target.closest("td.day");
    if (!day) return;
    e.preventDefault();
    var parts = e.dataTransfer.getData("text/plain").split(" ");
    if (parts.length < 2) return;
    fetch("/api/plan/" + encodeURIComponent(parts[0]) + "/move", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ at: day.getAttribute("data-date") + " " + parts[1] })
    }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) { window.alert(body.error || ("HTTP " + r.status)); return; }
        window.location.reload();
      });
    });
  });
})();
