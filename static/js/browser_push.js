/* "Enable browser notifications" on the preference page: subscribe this browser with the portal's VAPID public key
   and send the subscription (endpoint, keys.p256dh, keys.auth) to the page's signed endpoint. No inline script (CSP);
   the page gives the key, the URLs and the messages in data attributes of #browser-push. */
(function () {
  'use strict';
  var box = document.getElementById('browser-push');
  if (!box) {
    return;
  }
  var button = box.querySelector('button');
  var status = document.getElementById('browser-push-status');

  function say(name) {
    status.textContent = box.getAttribute('data-msg-' + name) || '';
  }

  function keyBytes(text) {
    var padded = text + '='.repeat((4 - (text.length % 4)) % 4);
    var raw = window.atob(padded.replace(/-/g, '+').replace(/_/g, '/'));
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes;
  }

  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) {
    button.disabled = true;
    say('unsupported');
    return;
  }

  async function enable() {
    button.disabled = true;
    say('working');
    try {
      var permission = await Notification.requestPermission();
      if (permission !== 'granted') {
        say('denied');
        button.disabled = false;
        return;
      }
      var registration = await navigator.serviceWorker.register(box.getAttribute('data-worker'));
      await navigator.serviceWorker.ready;
      var subscription = await registration.pushManager.getSubscription();
      if (!subscription) {
        subscription = await registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(box.getAttribute('data-key')),
        });
      }
      var csrf = document.querySelector('input[name=csrfmiddlewaretoken]');
      var response = await fetch(box.getAttribute('data-url'), {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf ? csrf.value : '' },
        body: JSON.stringify(subscription.toJSON()),
      });
      if (!response.ok) {
        throw new Error('subscription refused: ' + response.status);
      }
      say('done');
      window.location.assign(box.getAttribute('data-done'));
    } catch (error) {
      say('failed');
      button.disabled = false;
    }
  }

  button.addEventListener('click', enable);
})();
