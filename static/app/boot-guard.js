// A classic script that runs before the app's module graph finishes loading. If that
// graph cannot load (a vendored file failed its integrity check, or the network broke),
// main.js never runs, so the page says so here instead of "Starting Parley…" forever.
// main.js fires the same error on the script when the app it imports cannot load.
(function watchAppModule() {
  var script = document.getElementById('app-module');
  if (!script) return;
  script.addEventListener('error', function showLoadFailure() {
    var root = document.getElementById('app');
    var message = document.getElementById('boot-message');
    if (!root || !message) return;
    root.setAttribute('data-state', 'failed');
    message.textContent = 'Parley could not load safely: one of its files did not match what this version ships. Reload the page; if this persists, the server or a cache may have been tampered with.';
  });
})();
