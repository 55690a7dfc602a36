import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAccessTokens, createRemoteJwks, generateSigningKey } from '@tessera/core';

const issuer = 'https://auth.example.com';
const audience = 'https://api.example.com';

// The auth server signs and publishes its public keys (the HTTP adapters serve them so).
const auth = createAccessTokens({ issuer, audience, keys: { sign: await generateSigningKey('EdDSA') } });
const jwksServer = createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' });
  response.end(JSON.stringify(auth.jwks()));
});
await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;

// The resource server only verifies: its keys come from the auth server's set.
const remote = createRemoteJwks(url, { cooldown: 30, staleFor: 3600 });
await remote.refresh(); // optional: fail fast at start-up (ERR_UNAVAILABLE) instead of at the first request
const api = createAccessTokens({ issuer, audience, keys: { remote } });

const { token } = auth.issue({ sub: 'user-42', scope: 'orders:read' });
const claims = await api.verify(token, { scope: 'orders:read' });
assert.equal(claims.sub, 'user-42');
assert.equal(claims.client_id, 'first-party'); // RFC 9068: every tessera token names its client
assert.deepEqual(
  remote.status().kids,
  auth.jwks().keys.map((key) => key.kid),
);

jwksServer.close();
