// Live progress of an import without reloading; the page works without it (meta refresh).
(function () {
  var job = document.currentScript.dataset.job;
  (function poll() {
    fetch("/imports/" + job, { headers: { "Accept": "text/html" } }).then(function (r) { return r.text(); }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var state = doc.getElementById("state");
      if (!state || state.textContent !== "导入中") { location.reload(); return; }
      ["done", "total", "failed"].forEach(function (id) { document.getElementById(id).textContent = doc.getElementById(id).textContent; });
      document.getElementById("bar").style.width = doc.getElementById("bar").style.width;
      setTimeout(poll, 1000);
    }).catch(function () { setTimeout(poll, 3000); });
  })();
})();
