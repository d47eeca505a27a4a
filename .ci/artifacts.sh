#!/usr/bin/env bash
# The container image's layout, without Docker: the runtime stage's `COPY --from=build` lines of the
# Dockerfile (read from it, so there is one list) copied from this built tree into a temporary
# directory, `npm ci --omit=dev` there, then the server started against a fresh database on the
# local PostgreSQL until GET /readyz answers 200 (and the console's page is served), and stopped
# with SIGTERM, which must exit 0. Prints the production node_modules size.
#
# Needs a built tree (`npm run build`) and PostgreSQL. Environment: CI_PG_SERVER (a server URL,
# default postgres://postgres@127.0.0.1:5432/postgres), ARTIFACT_NODE (the node binary to run the
# server with, default `node`).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

PG_SERVER="${CI_PG_SERVER:-postgres://postgres@127.0.0.1:5432/postgres}"
NODE_BIN="${ARTIFACT_NODE:-node}"
work="$(mktemp -d)"
db="tessera_artifact_$(date +%s)_$$"
pid=""

cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  psql "$PG_SERVER" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "artifacts: $*" >&2
  exit 1
}

# the runtime stage is everything after the last FROM
runtime="$(awk '/^FROM /{buf=""} {buf=buf $0 "\n"} END{printf "%s", buf}' Dockerfile)"
grep -q '^RUN npm ci --omit=dev' <<<"$runtime" ||
  fail 'the Dockerfile runtime stage no longer installs with `npm ci --omit=dev`; update this script with it'

copies=0
while read -r _ _ args; do
  # shellcheck disable=SC2206 # the Dockerfile's own word splitting: paths without spaces
  words=($args)
  dest="${words[-1]}"
  unset 'words[-1]'
  for src in "${words[@]}"; do
    rel="${src#/app/}"
    [ -e "$root/$rel" ] || fail "the Dockerfile copies $src, but $rel is missing here (run npm run build first)"
    case "$dest" in
      ./ | .) target="$work/$(basename "$rel")" ;;
      *) target="$work/$dest" ;;
    esac
    mkdir -p "$(dirname "$target")"
    cp -R "$root/$rel" "$target"
    copies=$((copies + 1))
  done
done < <(grep -E '^COPY --from=build ' <<<"$runtime")
[ "$copies" -gt 0 ] || fail 'no COPY --from=build lines found in the runtime stage'
echo "== artifacts: $copies paths from the Dockerfile's runtime stage into $work"

echo "== artifacts: npm ci --omit=dev"
(cd "$work" && npm ci --omit=dev --no-audit --no-fund --loglevel=error) || fail 'npm ci --omit=dev failed'
echo "== artifacts: production node_modules $(du -sh "$work/node_modules" | cut -f1)"

psql "$PG_SERVER" -qc "CREATE DATABASE $db" || fail "cannot create the database $db"
port="$("$NODE_BIN" -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
mkdir -m 0700 "$work/data"

echo "== artifacts: starting $("$NODE_BIN" --version) dist/apps/server/main.js on port $port"
(
  cd "$work" &&
    exec env -i PATH="$PATH" HOME="$work" NODE_ENV=production PORT="$port" \
      DATABASE_URL="${PG_SERVER%/*}/$db" TESSERA_DATA_DIR="$work/data" \
      TESSERA_MASTER_KEY="$("$NODE_BIN" -e 'console.log(require("crypto").randomBytes(32).toString("base64url"))')" \
      LOG_LEVEL=warn "$NODE_BIN" dist/apps/server/main.js
) >"$work/server.log" 2>&1 &
pid=$!

status=""
for _ in $(seq 1 240); do
  kill -0 "$pid" 2>/dev/null || break
  status="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz" || true)"
  [ "$status" = 200 ] && break
  sleep 0.5
done
if [ "$status" != 200 ]; then
  tail -40 "$work/server.log" >&2
  fail "GET /readyz never answered 200 (last: ${status:-none})"
fi
console="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/admin/" || true)"
[ "$console" = 200 ] || fail "GET /admin/ answered $console: the console's build is not in the image's tree"

kill -TERM "$pid"
for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
kill -0 "$pid" 2>/dev/null && fail 'the server did not exit within 15 s of SIGTERM'
rc=0
wait "$pid" || rc=$?
pid=""
[ "$rc" = 0 ] || {
  tail -40 "$work/server.log" >&2
  fail "the server exited $rc after SIGTERM"
}
echo "== artifacts: ok (ready on a fresh database, console served, stopped cleanly)"
