"""Gunicorn's settings for the web service (``gunicorn -c config/gunicorn.py``)."""

bind = "0.0.0.0:8000"
workers = 3
timeout = 30
accesslog = "-"
# invitation tokens never reach the access log (core/logredact.py)
logger_class = "core.logredact.GunicornLogger"
