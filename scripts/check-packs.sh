#!/usr/bin/env bash
# Packs every package as npm would publish it (prepack builds dist/ and copies LICENSE), checks what
# each tarball holds, installs the tarballs into a scratch project outside the workspace, and runs
# an ESM consumer, a CommonJS require() consumer, and tsc under nodenext and bundler resolution.
# Exits non-zero on the first failure. Run by .ci/run; needs the npm registry.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/tarballs" "$tmp/app"

# Every package first, in dependency order: a package's prepack compiles against its dependencies' dist.
(cd "$root" && pnpm -s build >/dev/null)
for dir in "$root"/packages/*/; do
  (cd "$dir" && pnpm pack --pack-destination "$tmp/tarballs" >/dev/null)
done
for tarball in "$tmp"/tarballs/*.tgz; do
  listing=$(tar -tzf "$tarball")
  for needed in package/LICENSE package/README.md package/package.json package/dist/index.js package/dist/index.d.ts; do
    grep -qx "$needed" <<<"$listing" || { echo "check-packs: $(basename "$tarball") lacks $needed"; exit 1; }
  done
  if grep -qE '(^|/)test/|\.test\.' <<<"$listing"; then echo "check-packs: $(basename "$tarball") ships tests"; exit 1; fi
  if grep -q 'workspace:' <(tar -xzOf "$tarball" package/package.json); then
    echo "check-packs: $(basename "$tarball") still names a workspace: range"; exit 1
  fi
done

cd "$tmp/app"
cat > package.json <<'JSON'
{ "name": "tessera-consumer", "private": true, "type": "module" }
JSON
npm install --no-audit --no-fund --loglevel=error "$tmp"/tarballs/*.tgz \
  express@5 fastify@5 hono@4 @hono/node-server@1 ioredis@5 @types/express@5 @types/node@20 typescript@5.9 >/dev/null

cat > esm.mjs <<'JS'
import { createAccessTokens, generateSigningKey } from '@tessera/core';
import { createMemoryDenylist, waitForRedis } from '@tessera/denylist';
import { createMemoryStore, createRefreshTokens } from '@tessera/refresh';
import { createRedisStore } from '@tessera/refresh/redis';
import { createSessions } from '@tessera/sessions';
import { createHttpAuth } from '@tessera/http';
import { tesseraExpress } from '@tessera/http/express';
import { tesseraFastify } from '@tessera/http/fastify';
import { tesseraHono } from '@tessera/http/hono';
import { randomBytes } from 'node:crypto';
for (const f of [createRedisStore, waitForRedis, tesseraExpress, tesseraFastify, tesseraHono]) {
  if (typeof f !== 'function') throw new Error('missing export');
}
const access = createAccessTokens({ issuer: 'https://i', audience: 'a', keys: { sign: await generateSigningKey('EdDSA') } });
const denylist = createMemoryDenylist();
const refresh = createRefreshTokens({ store: createMemoryStore(), secrets: [{ id: 's', secret: randomBytes(32) }] });
const sessions = createSessions({ access, refresh, denylist });
createHttpAuth({ sessions, jwks: access.jwks, refreshToken: { in: 'cookie' } });
const login = await sessions.login('user-1');
const claims = await sessions.verify(login.accessToken.token);
if (claims.sub !== 'user-1') throw new Error('round trip failed');
console.log('esm consumer: ok');
JS
node esm.mjs

cat > cjs.cjs <<'JS'
// require() of the ESM packages (Node >= 20.19 loads ESM without top-level await this way).
const names = ['@tessera/core', '@tessera/refresh', '@tessera/refresh/redis', '@tessera/denylist', '@tessera/sessions',
  '@tessera/http', '@tessera/http/express', '@tessera/http/fastify', '@tessera/http/hono', '@tessera/client'];
for (const name of names) {
  const loaded = require(name);
  if (Object.keys(loaded).length === 0) throw new Error(`${name}: no exports through require()`);
}
if (typeof require('@tessera/core').createAccessTokens !== 'function') throw new Error('createAccessTokens missing');
console.log('cjs consumer: ok');
JS
node cjs.cjs

cat > index.ts <<'TS'
import { type AccessTokenClaims, createAccessTokens, generateSigningKey, isTesseraError } from '@tessera/core';
import { createMemoryDenylist, type DenylistStatus } from '@tessera/denylist';
import { createMemoryStore, createRefreshTokens, type RefreshStore } from '@tessera/refresh';
import type { createRedisStore } from '@tessera/refresh/redis';
import { createSessions, type SessionEvent } from '@tessera/sessions';
import { createHttpAuth, type HttpAuth } from '@tessera/http';
import { tesseraExpress } from '@tessera/http/express';
import { tesseraFastify } from '@tessera/http/fastify';
import { tesseraHono } from '@tessera/http/hono';
import { createSessionClient, type DpopKey, loadDpopKey } from '@tessera/client';

export async function browserClient(): Promise<DpopKey> {
  const key = await loadDpopKey();
  createSessionClient({ key, origin: 'https://app.example.com' }).close();
  return key;
}

export async function wire(): Promise<HttpAuth> {
  const access = createAccessTokens({ issuer: 'https://i', audience: 'a', keys: { sign: await generateSigningKey() } });
  const store: RefreshStore = createMemoryStore();
  const refresh = createRefreshTokens({ store, secrets: [{ id: 's', secret: new Uint8Array(32).map((_, i) => i * 7) }] });
  const denylist = createMemoryDenylist();
  const status: DenylistStatus = denylist.status();
  const events: SessionEvent[] = [];
  const sessions = createSessions({ access, refresh, denylist, events: (e) => events.push(e) });
  const http = createHttpAuth({ sessions, jwks: access.jwks, refreshToken: { in: 'cookie' } });
  tesseraExpress(http).errors();
  tesseraFastify(http).errorHandler;
  tesseraHono(http).onError;
  const claims: AccessTokenClaims = await access.verify('x').catch((e: unknown) => {
    if (isTesseraError(e)) throw e;
    throw e;
  });
  void claims;
  void status;
  return http;
}
export type RedisStoreFactory = typeof createRedisStore;
TS
cat > tsconfig.nodenext.json <<'JSON'
{ "compilerOptions": { "module": "nodenext", "moduleResolution": "nodenext", "target": "es2022", "strict": true,
  "noEmit": true, "skipLibCheck": false, "types": ["node"] }, "files": ["index.ts"] }
JSON
cat > tsconfig.bundler.json <<'JSON'
{ "compilerOptions": { "module": "preserve", "moduleResolution": "bundler", "target": "es2022", "strict": true,
  "noEmit": true, "skipLibCheck": false, "types": ["node"] }, "files": ["index.ts"] }
JSON
npx tsc -p tsconfig.nodenext.json
echo "tsc nodenext: ok"
npx tsc -p tsconfig.bundler.json
echo "tsc bundler: ok"

# The published core on the edge: bundled from the tarball by the `workerd` condition (a node: import
# fails esbuild's neutral platform) and run in workerd without nodejs_compat.
cat > edge.mjs <<'JS'
import { createAccessTokens, generateSigningKey } from '@tessera/core';
export default {
  async test() {
    const access = createAccessTokens({ issuer: 'https://i', audience: 'a', keys: { sign: await generateSigningKey('EdDSA') } });
    await access.ready();
    const { token } = await access.issueAsync({ sub: 'user-1' });
    if ((await access.verify(token)).sub !== 'user-1') throw new Error('edge round trip failed');
    let refused = false;
    try { access.issue({ sub: 'user-1' }); } catch (error) { refused = error.code === 'ERR_CONFIG'; }
    if (!refused) throw new Error('issue() must refuse where signing is asynchronous');
  },
};
JS
"$root/node_modules/.bin/esbuild" edge.mjs --bundle --format=esm --platform=neutral --conditions=workerd,worker \
  --main-fields=module,main --outfile=edge.bundle.js --log-level=warning
cat > edge.capnp <<'CAPNP'
using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (services = [ (name = "main", worker = .edge) ]);
const edge :Workerd.Worker = (modules = [ (name = "edge", esModule = embed "edge.bundle.js") ], compatibilityDate = "2025-09-01");
CAPNP
"$root/node_modules/.bin/workerd" test edge.capnp >edge.log 2>&1 || { echo "check-packs: the edge consumer failed in workerd"; cat edge.log; exit 1; }
echo "edge consumer (workerd): ok"

# The published browser helper, bundled by the `browser` condition on the neutral platform: no node: import.
echo "export { createSessionClient, loadDpopKey, createDpopProof } from '@tessera/client';" > browser.mjs
"$root/node_modules/.bin/esbuild" browser.mjs --bundle --format=esm --platform=neutral --conditions=browser \
  --main-fields=module,main --outfile=browser.bundle.js --log-level=warning
echo "browser bundle (@tessera/client): ok"
