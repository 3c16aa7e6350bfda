# Written by the python buildpack: gunicorn trusts the router's X-Forwarded-* headers (every
# request reaches a dyno through it) and logs requests to stdout, unless the app says otherwise.
export FORWARDED_ALLOW_IPS='*'
export GUNICORN_CMD_ARGS="${GUNICORN_CMD_ARGS:---access-logfile -}"
