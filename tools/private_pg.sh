#!/usr/bin/env bash
# A PostgreSQL server for `make demo` and `make test` where none answers.
#
#   source tools/private_pg.sh; private_pg_ensure   # uses the machine's server, else starts the project's own
#   private_pg_stop                                 # stops the project's own server, if this shell started it
#
# The project's own server ("private cluster") lives in $PRIVATE_PG_DIR (default .pgdata/ at the top of the
# repository, ignored by git): data in data/, its Unix socket in run/, its log in postgresql.log. It listens on
# its socket only (no TCP), on a port that no other server uses, and trusts local connections, so that the
# current user (or $PGUSER) connects without a password. initdb and pg_ctl are taken from $PG_BINDIR, else
# from the newest /usr/lib/postgresql/*/bin, else from the PATH. initdb refuses to run as root: as root, the
# cluster is created and run by the `postgres` system user (runuser), whose files .pgdata/ then holds; the
# database superuser is still named after the current user, who connects through the socket.
#
# PRIVATE_PG=auto (default) starts it only when no server answers; PRIVATE_PG=1 always uses it (to try it on a
# machine whose server runs); PRIVATE_PG=0 never starts it. private_pg_ensure exports PGHOST and PGPORT for
# psql, createdb and Odoo (the Odoo configuration gets them as db_host and db_port).

private_pg_log() { echo "$@" >&2; }

private_pg_answers() {
    psql -X -q -d postgres -c "select 1" >/dev/null 2>&1
}

private_pg_bindir() {
    local dir
    if [ -n "${PG_BINDIR:-}" ] && [ -x "$PG_BINDIR/initdb" ]; then
        echo "$PG_BINDIR"
        return 0
    fi
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -V -r); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            echo "$dir"
            return 0
        fi
    done
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
        return 0
    fi
    return 1
}

private_pg_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Runs a command as the owner of the cluster: the current user, or `postgres` when the current user is root.
private_pg_as_owner() {
    if [ "$(id -u)" = "0" ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

private_pg_ensure() {
    local mode="${PRIVATE_PG:-auto}"
    PRIVATE_PG_STARTED=0
    if [ "$mode" != "1" ] && private_pg_answers; then
        return 0
    fi
    if [ "$mode" = "0" ]; then
        private_pg_log "ERROR: PostgreSQL is not running or not reachable by user ${PGUSER:-$(whoami)}, and PRIVATE_PG=0."
        private_pg_log "       Start it (e.g. pg_ctlcluster <version> main start), or drop PRIVATE_PG=0 to let make start its own."
        return 1
    fi
    local bindir
    if ! bindir="$(private_pg_bindir)"; then
        private_pg_log "ERROR: no PostgreSQL server answers and no PostgreSQL server binaries (initdb, pg_ctl) were found."
        private_pg_log "       Install them (Debian: apt-get install postgresql) or start a server, and retry."
        return 1
    fi
    local top="${PRIVATE_PG_DIR:?PRIVATE_PG_DIR must be set}"
    local data="$top/data" run="$top/run" log="$top/postgresql.log" portfile="$top/port"
    local dbuser="${PGUSER:-$(whoami)}"
    if [ "$(id -u)" = "0" ] && ! id postgres >/dev/null 2>&1; then
        private_pg_log "ERROR: initdb refuses to run as root and there is no 'postgres' system user to run it;"
        private_pg_log "       create one (useradd --system postgres) or run make as another user."
        return 1
    fi
    mkdir -p "$top" "$run"
    chmod 700 "$top"
    if [ "$(id -u)" = "0" ]; then
        chown postgres: "$top" "$run"
        if ! runuser -u postgres -- test -w "$top"; then
            private_pg_log "ERROR: the postgres user cannot write to $top (a parent folder is closed to it);"
            private_pg_log "       set PRIVATE_PG_DIR to a folder it can reach and retry."
            return 1
        fi
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
        private_pg_log "== no PostgreSQL server answers: creating the project's own cluster in $data ($bindir)"
        private_pg_as_owner "$bindir/initdb" -D "$data" -U "$dbuser" --auth=trust -E UTF8 --locale=C.UTF-8 \
            >"$top/initdb.log" 2>&1 \
            || private_pg_as_owner "$bindir/initdb" -D "$data" -U "$dbuser" --auth=trust -E UTF8 --locale=C \
                >"$top/initdb.log" 2>&1 \
            || { private_pg_log "ERROR: initdb failed, see $top/initdb.log"; return 1; }
    fi
    local port
    if private_pg_as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1 && [ -f "$portfile" ]; then
        port="$(cat "$portfile")"
        private_pg_log "== using the project's own PostgreSQL, already running (socket $run, port $port)"
    else
        port="$(private_pg_free_port)"
        echo "$port" >"$portfile"
        private_pg_log "== starting the project's own PostgreSQL (socket $run, port $port, log $log)"
        private_pg_as_owner "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 \
            -o "-p $port -k $run -c listen_addresses= -c fsync=off -c full_page_writes=off" start >/dev/null \
            || { private_pg_log "ERROR: the project's own PostgreSQL did not start, see $log"; return 1; }
        PRIVATE_PG_STARTED=1
    fi
    export PGHOST="$run" PGPORT="$port" PGUSER="$dbuser"
    PRIVATE_PG_BINDIR="$bindir"
    PRIVATE_PG_DATA="$data"
    if ! private_pg_answers; then
        private_pg_log "ERROR: the project's own PostgreSQL does not answer on $run port $port, see $log"
        return 1
    fi
}

private_pg_stop() {
    if [ "${PRIVATE_PG_STARTED:-0}" = "1" ]; then
        private_pg_log "== stopping the project's own PostgreSQL"
        private_pg_as_owner "$PRIVATE_PG_BINDIR/pg_ctl" -D "$PRIVATE_PG_DATA" -m fast -w stop >/dev/null 2>&1 \
            || private_pg_log "WARNING: could not stop the project's own PostgreSQL ($PRIVATE_PG_DATA)"
        PRIVATE_PG_STARTED=0
    fi
}
