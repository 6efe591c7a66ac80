// The co-creation board: drag an idea to another column to move it (new → considering → planned → shipped /
// declined), through the API. Shipping drafts the answer to every supporter in the inbox, so it asks first.
(function () {
  var board = document.getElementById("ideas-board");
  if (!board || !board.getAttribute("data-can-move")) return;
  var csrf = board.getAttribute("data-csrf");
  var lang = board.getAttribute("data-lang") || "zh";
  board.addEventListener("dragstart", function (e) {
    var idea = e.target.closest && e.target.closest("article.idea");
    if (!idea) return;
    e.dataTransfer.setData("text/plain", idea.getAttribute("data-idea"));
    e.dataTransfer.effectAllowed = "move";
  });
  board.addEventListener("dragover", function (e) {
    if (e.target.closest && e.target.closest("section[data-status]")) e.preventDefault();
  });
  board.addEventListener("drop", function (e) {
    var column = e.target.closest && e.target.closest("section[data-status]");
    if (!column) return;
    e.preventDefault();
    var id = e.dataTransfer.getData("text/plain");
    var status = column.getAttribute("data-status");
    var from = board.querySelector('article.idea[data-idea="' + id + '"]');
    if (!id || !from || from.closest("section[data-status]") === column) return;
    if (status === "shipped" && !window.confirm(board.getAttribute("data-confirm-ship"))) return;
    fetch("/api/ideas/" + encodeURIComponent(id) + "/status", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ status: status, lang: lang })
    }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) { window.alert(body.error || ("HTTP " + r.status)); return; }
        window.location.reload();
      });
    });
  });
})();
