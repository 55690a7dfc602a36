import { createHash, createPublicKey, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { type Algorithm, createAccessTokens, isTesseraError, type Jwk } from '@tessera/core';
import fc from 'fast-check';
import { importJWK, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { AUDIENCE, ISSUER, publicPart, signCompact, validClaims, validHeader } from './helpers.js';
import {
  ED25519_NON_CANONICAL,
  ED25519_SMALL_ORDER,
  RSA_WEAK_EXPONENTS,
  WEAK_SECRETS,
} from './vectors/weak-keys.js';

const b64 = (bytes: Buffer) => bytes.toString('base64url');
const fromHex = (hex: string) => Buffer.from(hex, 'hex');
const toBytes = (value: bigint): Buffer => {
  const hex = value.toString(16);
  return Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex');
};

/** The ERR_CONFIG a key gets at construction, as a verification key (or as the signing key when private). */
function refusal(jwk: Record<string, unknown>): { reason: string | undefined; message: string } {
  const role = jwk['d'] === undefined && jwk['kty'] !== 'oct' ? 'verify' : 'sign';
  try {
    createAccessTokens({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: role === 'verify' ? { verify: [jwk as unknown as Jwk] } : { sign: jwk as unknown as Jwk },
    });
  } catch (error) {
    expect(isTesseraError(error, 'ERR_CONFIG')).toBe(true);
    const e = error as { reason: string | undefined; message: string };
    return { reason: e.reason, message: e.message };
  }
  throw new Error('expected ERR_CONFIG: the weak key was accepted');
}

const rsaPublic = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
const modulus = BigInt(`0x${Buffer.from(rsaPublic.n!, 'base64url').toString('hex')}`);
const rsaJwk = (n: bigint, e: bigint) => ({
  kty: 'RSA',
  kid: 'weak-rsa',
  alg: 'RS256',
  n: b64(toBytes(n)),
  e: e === 0n ? 'AA' : b64(toBytes(e)),
});
const edJwk = (hex: string) => ({
  kty: 'OKP',
  crv: 'Ed25519',
  kid: 'weak-ed',
  alg: 'EdDSA',
  x: b64(fromHex(hex)),
});

describe('weak keys are refused at construction (ERR_CONFIG, reason weak_key)', () => {
  describe('RSA', () => {
    it.each(RSA_WEAK_EXPONENTS)('exponent %s', (_name, exponent) => {
      expect(refusal(rsaJwk(modulus, exponent(modulus))).reason).toBe('weak_key');
    });

    it('even moduli, and moduli under 2048 bits', () => {
      expect(refusal(rsaJwk(modulus + 1n, 65537n)).reason).toBe('weak_key');
      expect(refusal(rsaJwk(2n ** 2047n * 2n, 65537n)).reason).toBe('weak_key');
      const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
      expect(refusal({ ...small, kid: 'small', alg: 'RS256' }).reason).toBe('weak_key');
    });

    it('the same rules hold for PS256 keys and for private (signing) keys', () => {
      expect(refusal({ ...rsaJwk(modulus, 3n), alg: 'PS256' }).reason).toBe('weak_key');
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 });
      expect(refusal({ ...privateKey.export({ format: 'jwk' }), kid: 'p', alg: 'RS256' }).reason).toBe(
        'weak_key',
      );
    });

    it('why: with e = 1 node:crypto accepts the padded digest itself as a signature', () => {
      const key = createPublicKey({ key: rsaJwk(modulus, 1n), format: 'jwk' });
      const message = Buffer.from('any message at all');
      const digestInfo = Buffer.concat([
        fromHex('3031300d060960864801650304020105000420'),
        createHash('sha256').update(message).digest(),
      ]);
      const padded = Buffer.concat([
        Buffer.from([0, 1]),
        Buffer.alloc(256 - digestInfo.length - 3, 0xff),
        Buffer.from([0]),
        digestInfo,
      ]);
      expect(verify('sha256', message, key, padded)).toBe(true);
    });

    it('odd exponents from 65537 to 2^256 - 1 are accepted (property)', () => {
      fc.assert(
        fc.property(fc.bigInt({ min: 32768n, max: 2n ** 255n - 1n }), (half) => {
          const e = half * 2n + 1n;
          expect(() =>
            createAccessTokens({
              issuer: ISSUER,
              audience: AUDIENCE,
              keys: { verify: [rsaJwk(modulus, e) as Jwk] },
            }),
          ).not.toThrow();
        }),
        { numRuns: 50 },
      );
    });
  });

  describe('Ed25519', () => {
    it.each(ED25519_SMALL_ORDER)('small-order point: %s', (_name, hex) => {
      expect(refusal(edJwk(hex)).reason).toBe('weak_key');
    });

    it.each(ED25519_NON_CANONICAL)('non-canonical encoding: %s', (_name, hex) => {
      expect(refusal(edJwk(hex)).reason).toBe('weak_key');
    });

    it('an encoding that is no point of the curve', () => {
      // y = 2: (y^2 - 1) / (d y^2 + 1) is not a square mod p.
      const bytes = Buffer.alloc(32);
      bytes[0] = 2;
      expect(refusal(edJwk(bytes.toString('hex'))).reason).toBe('weak_key');
    });

    it('why: with the identity as public key, one signature verifies for every message', () => {
      const key = createPublicKey({ key: edJwk(ED25519_SMALL_ORDER[0]![1]), format: 'jwk' });
      const signature = Buffer.concat([fromHex(ED25519_SMALL_ORDER[0]![1]), Buffer.alloc(32)]);
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), (message) => {
          expect(verify(null, message, key, signature)).toBe(true);
        }),
        { numRuns: 50 },
      );
    });

    it('every generated key is accepted (property over fresh keys)', () => {
      for (let i = 0; i < 64; i++) {
        const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
        expect(() =>
          createAccessTokens({
            issuer: ISSUER,
            audience: AUDIENCE,
            keys: { verify: [{ ...jwk, kid: 'k', alg: 'EdDSA' } as Jwk] },
          }),
        ).not.toThrow();
      }
    });
  });

  describe('EC (P-256): node:crypto itself refuses points off the curve', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    const flipped = Buffer.from(ec.y!, 'base64url');
    flipped[31]! ^= 1;
    const prime = fromHex('ffffffff00000001000000000000000000000000ffffffffffffffffffffffff');
    it.each([
      ['y off the curve', { ...ec, y: b64(flipped) }],
      [
        '(0, 0), the usual stand-in for the point at infinity',
        { ...ec, x: b64(Buffer.alloc(32)), y: b64(Buffer.alloc(32)) },
      ],
      ['x = p (a coordinate outside the field)', { ...ec, x: b64(prime) }],
      [
        'a 33-byte coordinate',
        { ...ec, x: b64(Buffer.concat([Buffer.alloc(1), Buffer.from(ec.x!, 'base64url')])) },
      ],
    ])('%s', (_name, jwk) => {
      expect(refusal({ ...jwk, kid: 'weak-ec', alg: 'ES256' }).reason).toBe('invalid_jwk');
    });
  });

  describe('HMAC secrets', () => {
    it.each(WEAK_SECRETS)('%s', (_name, bytes) => {
      expect(refusal({ kty: 'oct', kid: 'h', alg: 'HS256', k: b64(bytes) }).reason).toBe('weak_secret');
    });

    it('random secrets of 32 to 64 bytes are accepted (property)', () => {
      fc.assert(
        fc.property(fc.integer({ min: 32, max: 64 }), (length) => {
          const jwk = { kty: 'oct', kid: 'h', alg: 'HS256', k: b64(randomBytes(length)) } as Jwk;
          expect(() =>
            createAccessTokens({ issuer: ISSUER, audience: AUDIENCE, keys: { sign: jwk } }),
          ).not.toThrow();
        }),
        { numRuns: 100 },
      );
    });
  });
});

describe('for random valid keys, verification is unchanged (property)', async () => {
  const { generateSigningKey } = await import('@tessera/core');
  const algorithms: readonly Algorithm[] = ['EdDSA', 'ES256', 'RS256', 'PS256', 'HS256'];
  const pool = await Promise.all(
    algorithms.map(async (alg) => ({
      alg,
      keys: await Promise.all(
        Array.from({ length: alg.startsWith('RS') || alg.startsWith('PS') ? 2 : 4 }, (_, i) =>
          generateSigningKey(alg, { kid: `${alg}-${i}` }),
        ),
      ),
    })),
  );

  it('a token signed with a fresh key verifies in tessera and in jose alike', async () => {
    const now = Date.now();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...pool),
        fc.nat(),
        fc.string({ minLength: 1, maxLength: 40 }),
        async ({ keys }, pick, sub) => {
          const key = keys[pick % keys.length]!;
          const tokens = createAccessTokens({
            issuer: ISSUER,
            audience: AUDIENCE,
            keys: key.kty === 'oct' ? { sign: key } : { verify: [publicPart(key)] },
            clock: () => now,
          });
          const claims = validClaims({
            sub,
            iat: Math.floor(now / 1000) - 1,
            exp: Math.floor(now / 1000) + 600,
          });
          const token = signCompact(JSON.stringify(validHeader(key)), JSON.stringify(claims), key);
          expect((await tokens.verify(token)).sub).toBe(sub);
          const jwk = key.kty === 'oct' ? key : publicPart(key);
          const { payload } = await jwtVerify(
            token,
            await importJWK(JSON.parse(JSON.stringify(jwk)), key.alg),
            {
              currentDate: new Date(now),
            },
          );
          expect(payload.sub).toBe(sub);
        },
      ),
      { numRuns: 60 },
    );
  });
});
