"""Benchmarks of the Outage Portal: ``make bench`` (``python -m bench``) measures the send engine on PostgreSQL,
Redis, two Celery workers and the Infobip sandbox against a naive sender, django-post_office and the database's own
floor, and writes bench/RESULTS.md and bench/dispatch.png. See docs/benchmarks.md.
"""
