/**
 * tessera verify against jose `jwtVerify` on the same runtime and the same token, portable: bundled
 * for Deno and Bun (measured in-process) and for workerd (measured by the host, request by request,
 * since a Worker's clock stands still while it computes).
 */
import { createAccessTokens, generateSigningKey, type Jwk } from '@tessera/core';
import { importJWK, type JWK, jwtVerify } from 'jose';

export const ALGS = ['EdDSA', 'ES256', 'RS256', 'HS256'] as const;
export type Alg = (typeof ALGS)[number];
const issuer = 'https://auth.example.com';
const audience = 'https://api.example.com';

export interface Fixture {
  readonly tessera: () => Promise<unknown>;
  readonly jose: () => Promise<unknown>;
}

export async function fixture(alg: Alg): Promise<Fixture> {
  const key = await generateSigningKey(alg, { kid: `bench-${alg}` });
  const signer = createAccessTokens({ issuer, audience, keys: { sign: key }, ttl: 3600 });
  await signer.ready();
  const { token } = await signer.issueAsync({
    sub: 'user-7d1f3c',
    sid: 'sess-2b9e41',
    scope: 'read write profile',
  });
  const verifyKey: Jwk = alg === 'HS256' ? key : signer.jwks().keys[0]!;
  const verifier = createAccessTokens({ issuer, audience, keys: { verify: [verifyKey] }, ttl: 3600 });
  await verifier.ready();
  const joseKey = await importJWK(verifyKey as JWK, alg);
  const joseOptions = { issuer, audience, algorithms: [alg], typ: 'at+jwt' };
  await verifier.verify(token);
  await jwtVerify(token, joseKey, joseOptions);
  return { tessera: () => verifier.verify(token), jose: () => jwtVerify(token, joseKey, joseOptions) };
}

/** Runs `run` `count` times, one after another (each awaited). */
export async function repeat(run: () => Promise<unknown>, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await run();
}
