#!/bin/sh
# Run by the temporal-create-namespace job in docker-compose.yml once the server is healthy:
# creates the namespace the workers use and registers the search attributes the project's
# workflows set (src/workflows/search-attributes.ts; scripts/validate-compose.ts checks that the
# list below matches it). Safe to run again: only what is missing is created.
set -eu

NAMESPACE="${NAMESPACE:-default}"
RETENTION="${NAMESPACE_RETENTION:-30d}"
export TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"

# name:type, as `temporal operator search-attribute create --type` spells the type.
SEARCH_ATTRIBUTES="ReportConfig:Keyword ReportPeriod:Keyword ReportTarget:Keyword ReportRunSucceededAt:Datetime"

echo "Waiting for the Temporal server at ${TEMPORAL_ADDRESS}…"
tries=0
until temporal operator cluster health >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 30 ]; then
    echo "The Temporal server at ${TEMPORAL_ADDRESS} is not serving after ${tries} checks." >&2
    temporal operator cluster health
    exit 1
  fi
  sleep 2
done

if temporal operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1; then
  echo "Namespace ${NAMESPACE}: exists."
else
  echo "Namespace ${NAMESPACE}: creating (retention ${RETENTION})…"
  temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION"
fi

existing=$(temporal operator search-attribute list --namespace "$NAMESPACE")
for pair in $SEARCH_ATTRIBUTES; do
  name=${pair%%:*}
  type=${pair#*:}
  if printf '%s\n' "$existing" | grep -qw "$name"; then
    echo "Search attribute ${name}: exists."
  else
    echo "Search attribute ${name} (${type}): creating…"
    temporal operator search-attribute create --namespace "$NAMESPACE" --name "$name" --type "$type"
  fi
done

echo "Namespace ${NAMESPACE} is ready."
