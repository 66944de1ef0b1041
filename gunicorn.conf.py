# gunicorn reads this file when started from the checkout (`gunicorn 'webapp:create_app()'`), or
# with `-c /path/to/gunicorn.conf.py`: README, "Deploying".

#: The access log masks token-shaped parts of each request (set-password links' tokens), so that
#: no secret lands in a log line (webapp/logmasking.py).
logger_class = "webapp.logmasking.GunicornLogger"


def post_worker_init(worker):
    """Each worker, once it has loaded the application (webapp/process.py says why)."""
    from webapp.process import freeze_startup_objects

    freeze_startup_objects()
