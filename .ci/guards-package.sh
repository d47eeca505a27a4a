#!/usr/bin/env bash
# @tessera/nest-guards as a consumer gets it: `npm pack -w libs/guards`, the tarball installed from
# the registry-like path into a fresh Nest app next to only its required peers (the versions this
# repository uses), then a route of that app guarded against a real Tessera: the built server on a
# fresh PostgreSQL database, configured by a bootstrap file, issuing a client_credentials token.
# Checks: the main entry loads without the optional peers, the subpaths and the exports map behave,
# a request without a token gets 401 + `Bearer`, a forged one 401 invalid_token, the real token 200
# with its principal, and the same token after revocation (RFC 7009) is refused through the feed.
#
# Needs PostgreSQL and the npm registry. Environment: CI_PG_SERVER (a server URL, default
# postgres://postgres@127.0.0.1:5432/postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

PG_SERVER="${CI_PG_SERVER:-postgres://postgres@127.0.0.1:5432/postgres}"
work="$(mktemp -d)"
db="tessera_guards_pkg_$(date +%s)_$$"
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  psql "$PG_SERVER" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "guards-package: $*" >&2
  for log in "$work"/*.log; do [ -f "$log" ] && { echo "--- $log" >&2; tail -20 "$log" >&2; }; done
  exit 1
}
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
wait_for() { # URL: until it answers 200 (60 s)
  for _ in $(seq 1 240); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = 200 ] && return 0
    sleep 0.25
  done
  return 1
}
version() { node -p "require('$root/node_modules/$1/package.json').version"; }

node scripts/build-if-stale.mjs guards server

echo "== guards-package: npm pack -w libs/guards"
tarball="$work/$(npm pack -w libs/guards --pack-destination "$work" --silent | tail -1)"
[ -f "$tarball" ] || fail "npm pack wrote no tarball"
listing="$(tar -tzf "$tarball")"
for f in package/LICENSE package/README.md package/dist/index.js package/dist/passport.js package/dist/terminus.d.ts; do
  grep -qx "$f" <<<"$listing" || fail "the tarball lacks $f"
done
if grep -q '\.spec\.' <<<"$listing"; then fail 'the tarball ships test files'; fi

echo "== guards-package: a fresh Nest app with the tarball and only the required peers"
mkdir -p "$work/app"
cat >"$work/app/package.json" <<EOF
{
  "name": "guards-consumer",
  "private": true,
  "dependencies": {
    "@tessera/nest-guards": "file:$tarball",
    "@nestjs/common": "$(version @nestjs/common)",
    "@nestjs/core": "$(version @nestjs/core)",
    "@nestjs/platform-express": "$(version @nestjs/platform-express)",
    "reflect-metadata": "$(version reflect-metadata)",
    "rxjs": "$(version rxjs)"
  }
}
EOF
(cd "$work/app" && npm install --no-audit --no-fund --loglevel=error >"$work/npm-install.log" 2>&1) ||
  fail 'npm install of the tarball and its peers failed'
for optional in @nestjs/passport passport passport-strategy @nestjs/terminus; do
  [ ! -e "$work/app/node_modules/$optional" ] || fail "npm installed the optional peer $optional"
done

# the package's surface, from the consumer's side
(cd "$work/app" && node -e '
const assert = require("node:assert");
const guards = require("@tessera/nest-guards");
for (const name of ["TesseraAuthModule", "TesseraAuthGuard", "RequireScopes", "Principal", "TesseraVerifier"])
  assert.ok(guards[name], `the main entry exports ${name}`);
assert.ok(!("TesseraStrategy" in guards) && !("TesseraHealthIndicator" in guards));
// the subpaths exist and need their own optional peers, which this app has not installed
assert.throws(() => require("@tessera/nest-guards/passport"), (e) => e.code === "MODULE_NOT_FOUND" && /@nestjs\/passport/.test(e.message));
assert.throws(() => require("@tessera/nest-guards/terminus"), (e) => e.code === "MODULE_NOT_FOUND" && /@nestjs\/terminus/.test(e.message));
// private files stay private
assert.throws(() => require("@tessera/nest-guards/dist/verifier/jwt-verifier"), { code: "ERR_PACKAGE_PATH_NOT_EXPORTED" });
') || fail "the package's entry points are not what they should be"

cat >"$work/app/main.js" <<'EOF'
// A service guarding one route with @tessera/nest-guards (plain JavaScript: Reflect.decorate does
// what TypeScript's decorators compile to).
require('reflect-metadata');
const { Controller, Get, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { Principal, Public, RequireScopes, TesseraAuthModule } = require('@tessera/nest-guards');

class OrdersController {
  list(who) {
    return { sub: who.sub, clientId: who.clientId, scopes: who.scopes };
  }
  health() {
    return { ok: true };
  }
}
const method = (name, decorators) =>
  Reflect.decorate(decorators, OrdersController.prototype, name,
    Object.getOwnPropertyDescriptor(OrdersController.prototype, name));
method('list', [Get(), RequireScopes('orders:read')]);
method('health', [Get('health'), Public()]);
Principal()(OrdersController.prototype, 'list', 0);
Reflect.decorate([Controller('orders')], OrdersController);

class AppModule {}
Reflect.decorate([Module({
  imports: [TesseraAuthModule.forRoot({
    issuer: process.env.TESSERA_ISSUER,
    audience: process.env.TESSERA_AUDIENCE,
    clientId: process.env.TESSERA_CLIENT_ID,
    clientSecret: process.env.TESSERA_CLIENT_SECRET,
  })],
  controllers: [OrdersController],
})], AppModule);

NestFactory.create(AppModule, { logger: ['error', 'warn'] })
  .then((app) => { app.enableShutdownHooks(); return app.listen(Number(process.env.PORT), '127.0.0.1'); })
  .catch((err) => { console.error(err); process.exit(1); });
EOF

echo "== guards-package: Tessera on a fresh database"
psql "$PG_SERVER" -qc "CREATE DATABASE $db" || fail "cannot create the database $db"
tessera_port="$(free_port)"
issuer="http://127.0.0.1:$tessera_port/t/shop"
audience="https://orders.example.test"
secret="$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64url"))')"
cat >"$work/bootstrap.json" <<EOF
{
  "tenants": [
    {
      "slug": "shop",
      "name": "Shop",
      "resourceServers": [
        {
          "identifier": "$audience",
          "name": "Orders",
          "scopes": [{ "name": "orders:read", "description": "Read orders" }]
        }
      ],
      "applications": [
        {
          "clientId": "orders-worker",
          "name": "Orders worker",
          "type": "confidential",
          "clientSecret": "$secret",
          "grantTypes": ["client_credentials"],
          "defaultResource": "$audience",
          "grants": [{ "resourceServer": "$audience", "scopes": ["orders:read"], "flows": ["client_credentials"] }]
        }
      ]
    }
  ]
}
EOF
mkdir -m 0700 "$work/data"
env PORT="$tessera_port" PUBLIC_URL="http://127.0.0.1:$tessera_port" DATABASE_URL="${PG_SERVER%/*}/$db" \
  TESSERA_BOOTSTRAP="$work/bootstrap.json" TESSERA_DATA_DIR="$work/data" LOG_LEVEL=warn \
  node dist/apps/server/main.js >"$work/tessera.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$tessera_port/readyz" || fail 'Tessera never became ready'

echo "== guards-package: the consumer app against it"
app_port="$(free_port)"
(cd "$work/app" && exec env PORT="$app_port" TESSERA_ISSUER="$issuer" TESSERA_AUDIENCE="$audience" \
  TESSERA_CLIENT_ID=orders-worker TESSERA_CLIENT_SECRET="$secret" node main.js) >"$work/app.log" 2>&1 &
pids+=($!)
orders="http://127.0.0.1:$app_port/orders"
wait_for "$orders/health" || fail 'the consumer app never answered'

token="$(curl -sf -u "orders-worker:$secret" -d grant_type=client_credentials -d scope=orders:read \
  "$issuer/token" | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).access_token')" ||
  fail 'no client_credentials token'

# status and WWW-Authenticate of GET /orders with the given Authorization header (or none)
probe() {
  curl -s -o "$work/body.json" -D "$work/headers.txt" -w '%{http_code}' ${1:+-H "authorization: $1"} "$orders"
}
challenge() { tr -d '\r' <"$work/headers.txt" | grep -i '^www-authenticate:' | cut -d' ' -f2- || true; }

# a bare Bearer challenge, then DPoP's naming the proof algorithms (RFC 9449 §7.1), as two fields
[ "$(probe)" = 401 ] && [ "$(challenge | sed -n 1p)" = 'Bearer' ] &&
  challenge | sed -n 2p | grep -q '^DPoP algs="ES256 EdDSA' ||
  fail "without a token: expected 401 with a bare Bearer and a DPoP challenge, got $(probe) '$(challenge)'"
forged="${token%.*}.$(printf 'x%.0s' $(seq 1 86))"
[ "$(probe "Bearer $forged")" = 401 ] && [ "$(challenge)" = 'Bearer error="invalid_token"' ] ||
  fail "with a forged signature: expected 401 invalid_token, got '$(challenge)'"
[ "$(probe "Bearer $token")" = 200 ] || fail "with the real token: expected 200, got $(probe "Bearer $token")"
node -e '
const b = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
if (b.sub !== "orders-worker" || b.clientId !== "orders-worker" || b.scopes.join() !== "orders:read")
  throw new Error("unexpected principal " + JSON.stringify(b));
' "$work/body.json" || fail 'the handler did not get the token'"'"'s principal'

# RFC 7009: revoked at the issuer, refused by the guard once the feed delivers the event
curl -sf -o /dev/null -u "orders-worker:$secret" -d token="$token" "$issuer/revoke" || fail 'revocation failed'
refused=""
for _ in $(seq 1 40); do
  [ "$(probe "Bearer $token")" = 401 ] && { refused=1; break; }
  sleep 0.25
done
[ -n "$refused" ] || fail 'the revoked token was still accepted 10 s after its revocation'

echo "== guards-package: ok (packed, installed with the required peers only, guarded a route with a real token)"
