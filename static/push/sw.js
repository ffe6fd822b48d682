/* The portal's service worker: shows the outage notices pushed to this browser (web push, docs/channels.md).
   Served at /c/push-sw.js (clients/views_push.py). The payload is the portal's own JSON, decrypted by the browser:
   {"title", "body", "tag", "url"}. The tag is the message id, so a resent copy replaces the one shown. */
'use strict';

self.addEventListener('push', function (event) {
  var data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = { body: event.data ? event.data.text() : '' };
  }
  var options = { body: data.body || '', data: { url: data.url || '/' } };
  if (data.tag) {
    options.tag = data.tag;
  }
  event.waitUntil(self.registration.showNotification(data.title || 'Outage notice', options));
});

self.addEventListener('notificationclick', function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || '/';
  if (!/^https?:\/\//.test(url)) {
    url = '/';
  }
  event.waitUntil(self.clients.openWindow(url));
});
