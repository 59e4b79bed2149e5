#!/usr/bin/env bash
# Enables the RabbitMQ plugins this project needs on the local broker:
#   rabbitmq_management  the HTTP API tests use to create and drop their own vhosts
#   rabbitmq_web_stomp   the Web-STOMP endpoint the load benchmark compares against
# Idempotent; needs rabbitmq-plugins on PATH (the broker on this machine).
set -euo pipefail
plugins=(rabbitmq_management rabbitmq_web_stomp)
if ! command -v rabbitmq-plugins >/dev/null 2>&1; then
  echo "rabbitmq-plugins not found: enable ${plugins[*]} on your broker by hand" >&2
  exit 1
fi
rabbitmq-plugins enable --quiet "${plugins[@]}" >/dev/null
# The management listener starts a moment after the plugin: wait for it (bounded).
for _ in $(seq 1 60); do
  if curl -fsS -u guest:guest http://127.0.0.1:15672/api/overview >/dev/null 2>&1; then exit 0; fi
  sleep 1
done
echo "rabbitmq management API did not answer on :15672 within 60 s" >&2
exit 1
