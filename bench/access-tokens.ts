/**
 * Access-token issue and verify throughput: tessera beside the raw node:crypto signature check of
 * the same input (the limit), fast-jwt (with and without its cache), jsonwebtoken and jose.
 */
import {
  constants,
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  verify as cryptoVerify,
  type KeyObject,
  randomUUID,
  timingSafeEqual,
} from 'node:crypto';
import { type Algorithm, createAccessTokens, generateSigningKey, type Jwk } from '@tessera/core';
import { createSigner, createVerifier } from 'fast-jwt';
import { importJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import { type Candidate, compare, medianOf, pairedRatio, type Samples } from './lib/measure.js';
import { formatOps, type Section } from './lib/report.js';

const BENCH_ALGS = ['HS256', 'ES256', 'EdDSA', 'RS256'] as const;
const issuer = 'https://auth.example.com';
const audience = 'https://api.example.com';

interface Fixture {
  alg: Algorithm;
  token: string;
  verifyCandidates: Candidate[];
  issueCandidates: Candidate[];
}

async function fixture(alg: (typeof BENCH_ALGS)[number]): Promise<Fixture> {
  const jwk = await generateSigningKey(alg, { kid: `bench-${alg}` });
  const tessera = createAccessTokens({ issuer, audience, keys: { sign: jwk }, ttl: 3600 });
  const cached = createAccessTokens({ issuer, audience, keys: { sign: jwk }, ttl: 3600, cache: true });
  const input = { sub: 'user-7d1f3c', sid: 'sess-2b9e41', scope: 'read write profile' };
  const { token } = tessera.issue(input);
  const [signingInput, signature] = [
    token.slice(0, token.lastIndexOf('.')),
    token.slice(token.lastIndexOf('.') + 1),
  ];
  const data = Buffer.from(signingInput);
  const sig = Buffer.from(signature, 'base64url');

  const { privateKey, publicKey, secret } = nodeKeys(jwk);
  const raw = rawVerifier(alg, publicKey, secret, data, sig);
  const pem = publicKey?.export({ format: 'pem', type: 'spki' }).toString();
  const privatePem = privateKey?.export({ format: 'pem', type: 'pkcs8' }).toString();
  const secretBytes = jwk.kty === 'oct' ? Buffer.from(jwk.k!, 'base64url') : undefined;
  const fastKey = secretBytes ?? pem!;
  const fastOptions = { key: fastKey, algorithms: [alg], allowedIss: issuer, allowedAud: audience };
  const fastVerify = createVerifier(fastOptions);
  const fastCached = createVerifier({ ...fastOptions, cache: true });
  const joseKey = await importJWK(publicJwk(jwk) as JWK, alg);
  const joseOptions = { issuer, audience, algorithms: [alg], typ: 'at+jwt' };

  const verifyCandidates: Candidate[] = [
    { name: 'raw node:crypto signature check', run: raw },
    { name: 'tessera verify', run: () => tessera.verify(token), async: true },
    { name: 'fast-jwt verifier', run: () => fastVerify(token) },
    ...(alg === 'EdDSA'
      ? []
      : [
          {
            name: 'jsonwebtoken',
            run: () =>
              jsonwebtoken.verify(token, secret ?? publicKey!, {
                algorithms: [alg as 'HS256'],
                issuer,
                audience,
              }),
          },
        ]),
    { name: 'jose jwtVerify', run: () => jwtVerify(token, joseKey, joseOptions), async: true },
    { name: 'tessera verify, cache on, repeated token', run: () => cached.verify(token), async: true },
    { name: 'fast-jwt verifier, cache on, repeated token', run: () => fastCached(token) },
  ];

  const fastSign = createSigner({
    key: secretBytes ?? privatePem!,
    algorithm: alg,
    kid: jwk.kid,
    iss: issuer,
    aud: audience,
    expiresIn: 900_000,
    header: { alg, typ: 'at+jwt' },
  });
  const joseSignKey = await importJWK(jwk as JWK, alg);
  const issueCandidates: Candidate[] = [
    { name: 'tessera issue', run: () => tessera.issue(input) },
    { name: 'fast-jwt signer', run: () => fastSign({ ...input, jti: randomUUID() }) },
    ...(alg === 'EdDSA'
      ? []
      : [
          {
            name: 'jsonwebtoken sign',
            run: () =>
              jsonwebtoken.sign({ ...input, jti: randomUUID() }, secret ?? privateKey!, {
                algorithm: alg as 'HS256',
                keyid: jwk.kid,
                issuer,
                audience,
                expiresIn: 900,
                header: { alg, typ: 'at+jwt' },
              }),
          },
        ]),
    {
      name: 'jose SignJWT',
      run: () =>
        new SignJWT({ ...input })
          .setProtectedHeader({ alg, kid: jwk.kid, typ: 'at+jwt' })
          .setIssuer(issuer)
          .setAudience(audience)
          .setIssuedAt()
          .setExpirationTime('15m')
          .setJti(randomUUID())
          .sign(joseSignKey),
      async: true,
    },
  ];
  return { alg, token, verifyCandidates, issueCandidates };
}

function nodeKeys(jwk: Jwk): { privateKey?: KeyObject; publicKey?: KeyObject; secret?: KeyObject } {
  if (jwk.kty === 'oct') return { secret: createSecretKey(Buffer.from(jwk.k!, 'base64url')) };
  const privateKey = createPrivateKey({ key: { ...jwk }, format: 'jwk' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

function publicJwk(jwk: Jwk): Jwk {
  if (jwk.kty === 'oct') return jwk;
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest } = jwk;
  return rest;
}

/** The least work any verifier must do: one signature check over prepared bytes. */
function rawVerifier(
  alg: Algorithm,
  publicKey: KeyObject | undefined,
  secret: KeyObject | undefined,
  data: Buffer,
  sig: Buffer,
) {
  switch (alg) {
    case 'HS256':
      return () => timingSafeEqual(createHmac('sha256', secret!).update(data).digest(), sig);
    case 'EdDSA':
      return () => cryptoVerify(null, data, publicKey!, sig);
    case 'ES256':
      return () => cryptoVerify('sha256', data, { key: publicKey!, dsaEncoding: 'ieee-p1363' }, sig);
    case 'PS256':
      return () =>
        cryptoVerify(
          'sha256',
          data,
          { key: publicKey!, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
          sig,
        );
    default:
      return () => cryptoVerify('sha256', data, publicKey!, sig);
  }
}

function cell(samples: Samples, name: string, reference?: string): string {
  const value = medianOf(samples, name);
  if (value === undefined) return 'n/a';
  if (reference === undefined || !samples.has(reference)) return formatOps(value);
  return `${formatOps(value)} (${pairedRatio(samples, name, reference).toFixed(2)}x)`;
}

export interface AccessTokenFigures {
  readonly sections: Section[];
  /** Per algorithm, the results of verify and issue, for targets. */
  readonly verify: Map<string, Samples>;
  readonly issue: Map<string, Samples>;
}

/**
 * The brief's section 7 "raw `node:crypto` signature check" for `alg`, on the same 8-claim token as
 * the table above: other benches measure it in their own run to scale an absolute target to the
 * speed of the machine they run on.
 */
export async function rawSignatureCheck(alg: (typeof BENCH_ALGS)[number]): Promise<Candidate['run']> {
  return (await fixture(alg)).verifyCandidates[0]!.run;
}

export async function benchAccessTokens(
  options: { rounds?: number; durationMs?: number; algs?: readonly string[] } = {},
): Promise<AccessTokenFigures> {
  const ALGS = BENCH_ALGS.filter((alg) => !options.algs?.length || options.algs.includes(alg));
  const verify = new Map<string, Samples>();
  const issue = new Map<string, Samples>();
  for (const alg of ALGS) {
    const f = await fixture(alg);
    verify.set(alg, await compare(f.verifyCandidates, options));
    issue.set(alg, await compare(f.issueCandidates, options));
    process.stderr.write(`  access tokens: ${alg} done\n`);
  }
  const verifyNames = [
    'raw node:crypto signature check',
    'tessera verify',
    'fast-jwt verifier',
    'jsonwebtoken',
    'jose jwtVerify',
    'tessera verify, cache on, repeated token',
    'fast-jwt verifier, cache on, repeated token',
  ];
  const verifyRows = verifyNames.map((name) => [name, ...ALGS.map((alg) => cell(verify.get(alg)!, name))]);
  const targetRows = ALGS.map((alg) => {
    const r = verify.get(alg)!;
    const i = issue.get(alg)!;
    const x = (value: number) => `${value.toFixed(2)}x`;
    return [
      alg,
      x(pairedRatio(r, 'tessera verify', 'raw node:crypto signature check')),
      x(pairedRatio(r, 'tessera verify', 'fast-jwt verifier')),
      x(
        pairedRatio(
          r,
          'tessera verify, cache on, repeated token',
          'fast-jwt verifier, cache on, repeated token',
        ),
      ),
      x(pairedRatio(i, 'tessera issue', 'fast-jwt signer')),
    ];
  });
  const issueNames = ['tessera issue', 'fast-jwt signer', 'jsonwebtoken sign', 'jose SignJWT'];
  const issueRows = issueNames.map((name) => [
    name,
    ...ALGS.map((alg) => cell(issue.get(alg)!, name, 'fast-jwt signer')),
  ]);
  return {
    verify,
    issue,
    sections: [
      {
        title: 'Access tokens: verify, ops/s (an 8-claim RFC 9068 token)',
        header: ['verifier', ...ALGS],
        rows: verifyRows,
        notes: [
          'raw: one `node:crypto` signature check over prepared bytes (HMAC + constant-time compare for HS256) - the limit.',
          'tessera and jose are async (each call awaited); fast-jwt and jsonwebtoken are sync. jsonwebtoken has no EdDSA.',
        ],
      },
      {
        title: 'Access tokens: targets (ratios of the same run)',
        header: [
          'alg',
          'verify / raw limit',
          'verify / fast-jwt',
          'cached verify / fast-jwt cached',
          'issue / fast-jwt signer',
        ],
        rows: targetRows,
        notes: [
          "Each ratio is the median over rounds of the two candidates' ops/s measured in that round (adjacent in time).",
          'Targets: verify >= 1.0x fast-jwt for every algorithm, >= 0.9x raw for ES256/EdDSA/RS256 and >= 0.5x raw for HS256; cached >= 1.0x fast-jwt cached; issue >= 1.0x fast-jwt signer.',
        ],
      },
      {
        title: 'Access tokens: issue, ops/s (ratio to fast-jwt signer)',
        header: ['signer', ...ALGS],
        rows: issueRows,
        notes: ['Every signer draws a random `jti` (UUID v4) per token, as tessera does.'],
      },
    ],
  };
}
