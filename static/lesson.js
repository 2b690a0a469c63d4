// The phone player: reports the playing position; the server credits watch time.
(function () {
  var v = document.getElementById('player');
  if (!v) return;
  var lesson = v.dataset.lesson, csrf = v.dataset.csrf, busy = false;
  var start = +v.dataset.start || 0;
  v.addEventListener('loadedmetadata', function () { if (start > 0 && start < v.duration * 1000) v.currentTime = start / 1000; });
  function fmt(ms) { var s = Math.floor(ms / 1000); return Math.floor(s / 60) + ':' + ('0' + s % 60).slice(-2); }
  function report() {
    if (busy) return;
    busy = true;
    var body = 'csrf=' + encodeURIComponent(csrf) + '&position_ms=' + Math.floor(v.currentTime * 1000);
    fetch('/m/lessons/' + lesson + '/progress', { method: 'POST', credentials: 'same-origin',
      headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) {
        if (!p) return;
        document.getElementById('watched').textContent = fmt(p.watched_ms);
        document.getElementById('percent').textContent = Math.min(100, Math.floor(p.watched_ms * 100 / p.duration_ms));
        if (p.course_completed) document.getElementById('done').hidden = false;
      })
      .finally(function () { busy = false; });
  }
  v.addEventListener('play', report);
  v.addEventListener('pause', report);
  v.addEventListener('ended', report);
  setInterval(function () { if (!v.paused) report(); }, 10000);
})();
