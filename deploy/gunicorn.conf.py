"""gunicorn settings for one Trivsel instance (``gunicorn -c deploy/gunicorn.conf.py 'survey:create_app()'``).

Read from the environment so that one file serves every instance (systemd unit ``trivsel@PORT``):
``TRIVSEL_BIND`` (default ``127.0.0.1:8001``), ``WEB_CONCURRENCY`` (worker processes, default 2: on
2 cores, 2 sync workers beat 4 workers and threads for database-bound pages).
"""

import os

bind = os.environ.get("TRIVSEL_BIND", "127.0.0.1:8001")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
backlog = 2048
# a stopping instance finishes the requests it has accepted (nginx sends new ones elsewhere)
graceful_timeout = 30
timeout = 30
# no access log here: paths carry respondents' link tokens (nginx logs them without, see nginx/)
accesslog = None
errorlog = "-"
loglevel = "warning"
# gunicorn 27 opens a control socket by default; the instances need none
control_socket_disable = True
# nginx on loopback is the only client; the app reads X-Forwarded-* through TRIVSEL_TRUSTED_PROXIES
forwarded_allow_ips = "127.0.0.1,::1"
