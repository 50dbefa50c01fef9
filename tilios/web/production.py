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
        # Each answer closes its connection: the next request is then taken by whichever worker is free. Kept
        # alive, a client's connections stayed with the worker that accepted them (32 clients all on one of two
        # workers, the other idle: bench/load.py). Behind the proxy that terminates HTTPS, this costs a local connect.
        "keepalive": 0,
        # Workers are replaced after a while, at random moments, so no slow leak can grow for ever; not more
        # often: a new worker starts with cold caches, and replacing one every 5 000 requests (seconds apart
        # under load) cost a third of the home page's throughput and doubled the slowest answers (bench/load.py).
        "max_requests": 50000,
        "max_requests_jitter": 5000,
        "proc_name": "tilios",
        "accesslog": None,
        "control_socket_disable": True,  # one more socket in $HOME, shared by every instance: not needed
    }
    ProductionServer(application, options, on_ready, in_worker).run()


def _address(arbiter):
    host, port = arbiter.LISTENERS[0].sock.getsockname()[:2]
    return host, port
