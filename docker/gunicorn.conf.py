"""gunicorn settings of the production image (``gunicorn -c docker/gunicorn.conf.py onecua.wsgi``).

The access log never holds a query string or a referer: the intake's CCCD lookup
(``?id_number=…``) and the staff search (``?q=<CCCD or phone>``) carry personal data
(Nghị định 13/2023) in them. ``%(U)s`` is the path alone; the default ``"%(r)s"`` (the request
line) and ``"%(f)s"`` (the referer, which holds the previous page's query) are left out. The
client address is the proxy's (``%(h)s``): the application logs the client it believes
(``TRUSTED_PROXIES``) where it matters.
"""
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s "%(a)s"'
