"""The webhooks Infobip calls: delivery reports (``reports.py``) and inbound SMS (``inbound.py``).

Both are authenticated by ``auth.py`` (a secret in the URL, Basic auth or an HMAC of the body) before their body
is read, and both stay one call deep: parse, call one service, answer. Their public paths are fixed by the
provider's account configuration (``notifications/urls.py``).
"""
