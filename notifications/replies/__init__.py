"""Replies from customers (SMS, WhatsApp, Viber): parsed from Infobip's inbound shapes (``parse.py``), matched to
the message the sender last received on that channel (``match.py``), stored once (``record.py``), keywords applied
and confirmed through the normal send path (``confirm.py``). docs/tracking.md, "Replies"."""
