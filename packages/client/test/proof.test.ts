/**
 * The client's proofs are what core's verifier (and RFC 9449) accept: every field checked by the
 * server verifies, including `ath` and `nonce`; the key's thumbprint is the one panva's `dpop`
 * computes; the private key cannot be exported; misuse is a typed error.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createDpopKey, createDpopProof } from '@tessera/client';
import { createDpopNonces, createDpopVerifier, isTesseraError } from '@tessera/core';
import * as dpop from 'dpop';
import { describe, expect, it } from 'vitest';

const URL_ = 'https://api.example.com/orders';

describe('proofs from @tessera/client', () => {
  it('verify with core, with ath and a server nonce, and name the key by its RFC 7638 thumbprint', async () => {
    const key = await createDpopKey();
    expect(key.jkt).toBe(await dpop.calculateThumbprint(key.keyPair.publicKey));
    const nonces = createDpopNonces({ secret: randomBytes(32) });
    const verifier = createDpopVerifier({ nonces });
    const nonce = await nonces.current();
    const proof = await createDpopProof(key, {
      method: 'post',
      url: `${URL_}?page=2#top`,
      accessToken: 'the-access-token',
      nonce,
    });
    const verified = await verifier.verify(proof, {
      method: 'POST',
      url: URL_,
      accessToken: 'the-access-token',
      requireNonce: true,
    });
    expect(verified.jkt).toBe(key.jkt);
    const [header, claims] = proof
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
    expect(header).toEqual({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk });
    expect(claims).toMatchObject({
      htm: 'POST',
      htu: URL_,
      nonce,
      ath: createHash('sha256').update('the-access-token').digest('base64url'),
    });
    // Each proof is new: a server accepts it once.
    await expect(
      verifier.verify(proof, { method: 'POST', url: URL_, accessToken: 'the-access-token' }),
    ).rejects.toMatchObject({
      code: 'ERR_DPOP_PROOF',
      reason: 'replayed',
    });
    const again = await createDpopProof(key, { method: 'POST', url: URL_ });
    expect(again.split('.')[1]).not.toBe(proof.split('.')[1]);
  });

  it('the private key cannot be read out', async () => {
    const key = await createDpopKey();
    expect(key.keyPair.privateKey.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('jwk', key.keyPair.privateKey)).rejects.toThrow();
    expect(Object.keys(key.publicJwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
  });

  it('refuses a relative URL or a bad method with ERR_CONFIG', async () => {
    const key = await createDpopKey();
    for (const target of [
      { method: 'GET', url: '/orders' },
      { method: 'GET', url: 'not a url' },
      { method: 'G E T', url: URL_ },
      { method: '', url: URL_ },
    ]) {
      const error = await createDpopProof(key, target).catch((caught: unknown) => caught);
      expect(isTesseraError(error) && error.code).toBe('ERR_CONFIG');
    }
  });
});
