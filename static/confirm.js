// A step to confirm before spending points, cancelling, fulfilling, disabling
// an account or reversing an entry: a form with data-confirm asks first.
document.addEventListener('submit', function (e) {
  var form = e.target;
  var message = form && form.getAttribute && form.getAttribute('data-confirm');
  if (message && !window.confirm(message)) {
    e.preventDefault();
  }
}, true);
