"""gunicorn's settings for the web container (the Dockerfile's and docker-compose.yml's command: ``-c gunicorn.conf.py``).

The command line adds the bind address, the number of workers and the timeout. The access log goes to standard
output through a logger that removes customers' link tokens and the webhook secret from every line
(``outage_portal/gunicorn_logging.py``).
"""

accesslog = "-"
errorlog = "-"
logger_class = "outage_portal.gunicorn_logging.RedactingLogger"
# The combined format, plus the time taken in milliseconds; the request line and the Referer are redacted.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
