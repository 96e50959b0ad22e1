/* global document */
// Hands the session's CSRF token to htmx, which sends it as a header on every request it makes.
// It lives in a file, not inline: the Content-Security-Policy allows scripts from this origin only.
(function () {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!meta || !document.body) return;
  document.body.setAttribute('hx-headers', JSON.stringify({ 'X-CSRF-Token': meta.getAttribute('content') }));
})();
