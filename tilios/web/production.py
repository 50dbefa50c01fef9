"""`tilios serve --workers N`: Tilios under gunicorn, several processes, each request bounded in time.

The command prepares the database and the static files once, in the master; gunicorn then forks the
workers, which share nothing but the database and the cache (set TILIOS_REDIS_URL so that rate limits
count across them). Threads in each worker let a request waiting on the database not hold the others."""
from django.db import connections
from gunicorn.app.base import BaseApplication


class ProductionServer(BaseApplication):
    def __init__(self, application, options, on_ready, in_worker):
        self.application, self.options = application, options
        self.on_ready, self.in_worker = on_ready, in_worker
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)
        self.cfg.set("when_ready", lambda arbiter: self.on_ready(_address(arbiter)))
        self.cfg.set("post_fork", lambda arbiter, worker: self.in_worker())

    def load(self):
        return self.application


def serve(application, host, port, workers, threads, timeout, on_ready, in_worker):
    # The master's connection (migrations, demo data) must not be shared with the forked workers.
    connections.close_all()
    options = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        # A request running longer than this is abandoned with its worker, which gunicorn replaces.
        "timeout": timeout,
        "graceful_timeout": timeout,
        "keepalive": 5,
        # Workers are replaced after a while, at random moments, so no slow leak can grow for ever.
        "max_requests": 5000,
        "max_requests_jitter": 500,
        "proc_name": "tilios",
        "accesslog": None,
        "control_socket_disable": True,  # one more socket in $HOME, shared by every instance: not needed
    }
    ProductionServer(application, options, on_ready, in_worker).run()


def _address(arbiter):
    host, port = arbiter.LISTENERS[0].sock.getsockname()[:2]
    return host, port
