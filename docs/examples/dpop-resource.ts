import assert from 'node:assert/strict';
import { createAccessTokens, createDpopVerifier, generateSigningKey } from '@tessera/core';

// --- The client: a key pair it never sends, and a proof per request (what a DPoP library does). ---
const b64url = (bytes: ArrayBuffer | Uint8Array | string) =>
  Buffer.from(typeof bytes === 'string' ? bytes : new Uint8Array(bytes)).toString('base64url');
const { privateKey, publicKey } = await crypto.subtle.generateKey(
  { name: 'ECDSA', namedCurve: 'P-256' },
  false,
  ['sign', 'verify'],
);
const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', publicKey);
async function proofFor(method: string, url: string, accessToken?: string): Promise<string> {
  const header = b64url(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } }));
  const claims: Record<string, unknown> = {
    jti: crypto.randomUUID(),
    htm: method,
    htu: url,
    iat: Math.floor(Date.now() / 1000),
  };
  if (accessToken !== undefined) {
    claims['ath'] = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken)));
  }
  const input = `${header}.${b64url(JSON.stringify(claims))}`;
  const signature = await crypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    privateKey,
    new TextEncoder().encode(input),
  );
  return `${input}.${b64url(signature)}`;
}

// --- The server: one DPoP verifier (the replay cache is in memory here; Redis for a fleet). ---
const dpop = createDpopVerifier();
const access = createAccessTokens({
  issuer: 'https://auth.example.com',
  audience: 'https://api.example.com',
  keys: { sign: await generateSigningKey('EdDSA') },
  dpop,
});

// The token endpoint verifies the client's proof and binds the token to its key (cnf.jkt).
const { jkt } = await dpop.verify(await proofFor('POST', 'https://auth.example.com/token'), {
  method: 'POST',
  url: 'https://auth.example.com/token',
});
const { token } = access.issue({ sub: 'user-42', scope: 'orders:read', jkt });

// The resource server: the token with a fresh proof for this request is accepted ...
const url = 'https://api.example.com/orders';
const claims = await access.verify(token, {
  scope: 'orders:read',
  dpop: { proof: await proofFor('GET', url, token), method: 'GET', url },
});
assert.equal(claims.cnf?.jkt, jkt);

// ... and a thief holding only the token gets nowhere: not as a bearer token, not with a proof of its own key.
await assert.rejects(access.verify(token), { code: 'ERR_DPOP_PROOF', reason: 'proof_required' });
