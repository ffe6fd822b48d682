"""Infobip: SMS through ``/sms/3/messages``, email through ``/email/4/messages`` (JSON, latest API).

``client.py`` holds ``InfobipProvider`` (named by ``NOTIFICATIONS_PROVIDER`` as
``notifications.providers.infobip.InfobipProvider``), ``bodies.py`` the request bodies, ``answers.py`` what answers
and errors mean, ``reports.py`` the one parser of delivery results (webhook, pull and log lookup). API facts and
sources: docs/infobip.md.
"""

from notifications.providers.infobip.client import InfobipProvider

__all__ = ["InfobipProvider"]
