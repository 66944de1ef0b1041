# gunicorn reads this file when started from the checkout (`gunicorn 'webapp:create_app()'`), or
# with `-c /path/to/gunicorn.conf.py`: README, "Deploying".

#: The access log masks token-shaped parts of each request (set-password links' tokens), so that
#: no secret lands in a log line (webapp/logmasking.py).
logger_class = "webapp.logmasking.GunicornLogger"
