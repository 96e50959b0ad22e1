/* global document */
// Lives in a file, not inline: the Content-Security-Policy allows scripts from this origin only.
(function () {
  // Hands the session's CSRF token to htmx, which sends it as a header on every request it makes.
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta && document.body) {
    document.body.setAttribute('hx-headers', JSON.stringify({ 'X-CSRF-Token': meta.getAttribute('content') }));
  }

  function showError(message) {
    var area = document.getElementById('flash');
    if (!area) return;
    var line = document.createElement('p');
    line.className = 'flash flash-error';
    line.setAttribute('role', 'alert');
    line.textContent = message;
    area.replaceChildren(line);
  }

  // htmx swaps only 2xx answers. The service answers a failed action with its message and
  // `HX-Retarget: #flash`, so that message is swapped into the flash area; any other failure (a
  // proxy's error page, say) is never swapped into the page, only named.
  document.addEventListener('htmx:beforeSwap', function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status < 400) return;
    if (xhr.getResponseHeader('HX-Retarget')) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
      return;
    }
    showError('The request failed (HTTP ' + xhr.status + '); reload the page to see the current state.');
  });
  document.addEventListener('htmx:sendError', function () {
    showError('The service did not answer; check that it is running, then try again.');
  });
})();
