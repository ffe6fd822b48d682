#!/bin/sh
# As the official image: options alone mean redis-server; it runs as the redis user, and protected mode is off
# (the official build turns it off too: other containers reach it over the compose network, not the internet).
set -eu
case "${1:-}" in -*) set -- redis-server "$@" ;; esac
if [ "${1:-}" = redis-server ]; then
  if [ "$(id -u)" = 0 ]; then
    chown -R redis:redis /data
    exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
  fi
  shift
  exec redis-server --protected-mode no "$@"
fi
exec "$@"
