#!/bin/sh
# Run by the temporal-admin-tools job in docker-compose.yml before the server starts: creates the
# two databases Temporal uses and brings both schemas (the default store and visibility) to the
# versions shipped in this admin-tools image. Safe on every `docker compose up`: an existing
# database is kept, setup-schema leaves a newer version alone, update-schema applies only what
# is missing.
set -eu

: "${DB:=postgres12}" "${DB_PORT:=5432}" "${POSTGRES_SEEDS:=postgresql}" "${POSTGRES_USER:=temporal}"
export SQL_PASSWORD="${SQL_PASSWORD:-${POSTGRES_PWD:-}}"
SCHEMA_DIR=/etc/temporal/schema/postgresql/v12

echo "Waiting for PostgreSQL at ${POSTGRES_SEEDS}:${DB_PORT}…"
nc -z -w 10 "$POSTGRES_SEEDS" "$DB_PORT"

sql() {
  temporal-sql-tool --plugin "$DB" --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"
}

for pair in temporal:temporal visibility:temporal_visibility; do
  schema=${pair%%:*}
  db=${pair#*:}
  echo "Database ${db} (${schema} schema)…"
  # `create` fails when the database exists already (a second `up`): that is fine, and any other
  # problem (wrong password, unreachable) makes the setup-schema below fail loudly.
  sql --db "$db" create || echo "  ${db}: exists already (or could not be created; the next step says which)"
  sql --db "$db" setup-schema -v 0.0
  sql --db "$db" update-schema -d "${SCHEMA_DIR}/${schema}/versioned"
done

echo "PostgreSQL schemas are ready."
