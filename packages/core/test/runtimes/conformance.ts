/**
 * Core's conformance suite for any JavaScript runtime: RFC vectors through the platform, round trips
 * of every algorithm (jose as the oracle, any tampered byte refused), the hostile-token catalogue and
 * a remote JWK Set. Portable on purpose: no Node API, no test framework; `runConformance()` answers
 * every case's verdict, and each runtime's entry prints them (`runtimes.test.ts` runs it in Node on
 * WebCrypto, Deno, Bun and workerd).
 */
import {
  type AccessTokens,
  type Algorithm,
  createAccessTokens,
  createRemoteJwks,
  generateSigningKey,
  type Jwk,
} from '@tessera/core';
import { cryptoPlatform } from '@tessera/core/internal';
import fc from 'fast-check';
import { importJWK, type JWK, jwtVerify } from 'jose';

export interface CaseResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail?: string;
}

export interface ConformanceReport {
  /** The platform core selected (`webcrypto` wherever Node's APIs are missing). */
  readonly platform: string;
  readonly results: readonly CaseResult[];
}

const ISSUER = 'https://auth.example.com';
const AUDIENCE = 'https://api.example.com';
const ALGORITHMS: readonly Algorithm[] = ['EdDSA', 'Ed25519', 'ES256', 'RS256', 'PS256', 'HS256'];

const encoder = new TextEncoder();
const b64u = (bytes: Uint8Array | string) => cryptoPlatform.bytes.toBase64url(bytes);
const fromHex = (hex: string) => new Uint8Array(hex.match(/../g)!.map((byte) => Number.parseInt(byte, 16)));
const codeOf = (error: unknown) => (error as { code?: string }).code ?? String(error);

export async function runConformance(): Promise<ConformanceReport> {
  const results: CaseResult[] = [];
  const check = async (name: string, run: () => Promise<void>) => {
    try {
      await run();
      results.push({ name, ok: true });
    } catch (error) {
      results.push({ name, ok: false, detail: String((error as Error)?.message ?? error).slice(0, 300) });
    }
  };
  const expect = (condition: boolean, message: string) => {
    if (!condition) throw new Error(message);
  };
  const rejects = async (promise: Promise<unknown>, code: string) => {
    try {
      await promise;
    } catch (error) {
      expect(codeOf(error) === code, `rejected with ${codeOf(error)}, expected ${code}`);
      return;
    }
    throw new Error(`accepted, expected ${code}`);
  };

  // --- RFC vectors, through the platform --------------------------------------------------------
  await check('RFC 4231 test case 2: HMAC-SHA-256', async () => {
    const mac = await cryptoPlatform.hmacSha256(encoder.encode('Jefe'))('what do ya want for nothing?');
    expect(mac === b64u(fromHex('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843')), mac);
  });
  await check('RFC 7515 A.1: HS256 JWS', async () => {
    const k = 'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow';
    const token =
      'eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    const dot = token.lastIndexOf('.');
    const mac = await cryptoPlatform.hmacSha256(cryptoPlatform.bytes.fromBase64url(k))(token.slice(0, dot));
    expect(mac === token.slice(dot + 1), 'MAC differs');
  });
  const verifyVector = async (jwk: Record<string, string>, alg: 'EdDSA' | 'ES256', token: string) => {
    const key = await cryptoPlatform.importKey(jwk, alg);
    expect(key !== undefined, 'key refused');
    const dot = token.lastIndexOf('.');
    const signature = cryptoPlatform.bytes.fromBase64url(token.slice(dot + 1));
    const check = cryptoPlatform.verifier(alg, key!);
    expect((await check(token, dot, signature)) === true, 'signature refused');
    const tampered = `${token.slice(0, 5)}${token[5] === 'A' ? 'B' : 'A'}${token.slice(6)}`;
    expect((await check(tampered, dot, signature)) === false, 'tampered input accepted');
  };
  await check('RFC 7515 A.3: ES256 JWS', () =>
    verifyVector(
      {
        kty: 'EC',
        crv: 'P-256',
        x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
        y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
      },
      'ES256',
      'eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q',
    ),
  );
  await check('RFC 8037 A.4: Ed25519 JWS', () =>
    verifyVector(
      { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' },
      'EdDSA',
      'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg',
    ),
  );
  await check('RFC 8032 7.1 test 1: Ed25519, empty message', async () => {
    const x = b64u(fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'));
    const key = await cryptoPlatform.importKey(
      { kty: 'OKP', crv: 'Ed25519', x } as Record<string, string>,
      'EdDSA',
    );
    const signature = fromHex(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    );
    expect((await cryptoPlatform.verifier('EdDSA', key!)('.', 0, signature)) === true, 'refused');
  });

  // --- Round trips of every algorithm -----------------------------------------------------------
  const instances = new Map<Algorithm, { key: Jwk; tokens: AccessTokens; verifier: AccessTokens }>();
  for (const alg of ALGORITHMS) {
    await check(`${alg}: issueAsync, verify, and jose agrees`, async () => {
      const key = await generateSigningKey(alg, { kid: `rt-${alg}` });
      const tokens = createAccessTokens({ issuer: ISSUER, audience: AUDIENCE, keys: { sign: key } });
      await tokens.ready();
      const { token, claims } = await tokens.issueAsync({ sub: 'user-1', scope: 'read', claims: { n: 1 } });
      const verified = await tokens.verify(token, { scope: 'read' });
      expect(verified.sub === 'user-1' && verified.jti === claims.jti, 'claims differ');
      const keys = alg === 'HS256' ? [key] : [...tokens.jwks().keys];
      const verifier = createAccessTokens({ issuer: ISSUER, audience: AUDIENCE, keys: { verify: keys } });
      await verifier.verify(token);
      const oracleKey = await importJWK((alg === 'HS256' ? key : keys[0]) as JWK, alg);
      await jwtVerify(token, oracleKey, { issuer: ISSUER, audience: AUDIENCE, typ: 'at+jwt' });
      instances.set(alg, { key, tokens, verifier });
    });
    await check(`${alg}: issue() refuses where signing is asynchronous, else signs`, async () => {
      const entry = instances.get(alg);
      expect(entry !== undefined, 'no instance');
      try {
        const { token } = entry!.tokens.issue({ sub: 'user-1' });
        expect(cryptoPlatform.synchronous, 'issue() answered on an asynchronous platform');
        await entry!.verifier.verify(token);
      } catch (error) {
        expect(!cryptoPlatform.synchronous && codeOf(error) === 'ERR_CONFIG', `threw ${codeOf(error)}`);
      }
    });
    await check(`${alg}: property: any tampered character is refused`, async () => {
      const { tokens, verifier } = instances.get(alg)!;
      const { token } = await tokens.issueAsync({ sub: 'user-1' });
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ';
      await fc.assert(
        fc.asyncProperty(
          fc.nat({ max: token.length - 1 }),
          fc.constantFrom(...alphabet),
          async (position, replacement) => {
            fc.pre(token[position] !== replacement);
            const tampered = token.slice(0, position) + replacement + token.slice(position + 1);
            let accepted = false;
            try {
              await verifier.verify(tampered);
              accepted = true;
            } catch (error) {
              expect(codeOf(error).startsWith('ERR_TOKEN_'), `threw ${codeOf(error)}`);
            }
            expect(!accepted, `accepted a token changed at ${position}`);
          },
        ),
        { numRuns: 40 },
      );
    });
  }

  // --- The hostile-token catalogue --------------------------------------------------------------
  for (const alg of ['EdDSA', 'ES256', 'HS256'] as const) {
    const entry = instances.get(alg);
    if (entry === undefined) continue;
    const { key, verifier } = entry;
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: ISSUER,
      sub: 'user-1',
      aud: AUDIENCE,
      iat: now - 10,
      exp: now + 600,
      jti: 'j-1',
      client_id: 'c',
    };
    const header = { alg: key.alg, kid: key.kid, typ: 'at+jwt' };
    const sign = (headerText: string, payloadText: string) =>
      signRaw(key, `${b64u(headerText)}.${b64u(payloadText)}`);
    const json = JSON.stringify;
    const catalogue: [string, () => Promise<string>, string][] = [
      ['valid (control)', () => sign(json(header), json(claims)), 'OK'],
      [
        'alg none, no signature',
        async () => `${b64u(json({ ...header, alg: 'none' }))}.${b64u(json(claims))}.`,
        'ERR_TOKEN_MALFORMED',
      ],
      [
        'alg none, with a signature',
        () => sign(json({ ...header, alg: 'none' }), json(claims)),
        'ERR_TOKEN_SIGNATURE',
      ],
      [
        'another alg named',
        async () => sign(json({ ...header, alg: alg === 'HS256' ? 'EdDSA' : 'HS256' }), json(claims)),
        'ERR_TOKEN_SIGNATURE',
      ],
      ['kid unknown', () => sign(json({ ...header, kid: 'nope' }), json(claims)), 'ERR_TOKEN_SIGNATURE'],
      [
        'jku header',
        () => sign(json({ ...header, jku: 'https://evil.example/jwks' }), json(claims)),
        'ERR_TOKEN_MALFORMED',
      ],
      [
        'jwk header',
        () => sign(json({ ...header, jwk: { kty: 'oct', k: 'AA' } }), json(claims)),
        'ERR_TOKEN_MALFORMED',
      ],
      ['crit header', () => sign(json({ ...header, crit: ['exp'] }), json(claims)), 'ERR_TOKEN_MALFORMED'],
      ['typ JWT', () => sign(json({ ...header, typ: 'JWT' }), json(claims)), 'ERR_TOKEN_CLAIMS'],
      [
        'duplicate header key',
        () => sign(`{"alg":"none","alg":"${key.alg}","kid":"${key.kid}","typ":"at+jwt"}`, json(claims)),
        'ERR_TOKEN_MALFORMED',
      ],
      [
        'duplicate claim',
        () => sign(json(header), json(claims).replace('"sub":"user-1"', '"sub":"user-1","sub":"admin"')),
        'ERR_TOKEN_MALFORMED',
      ],
      [
        '__proto__ claim',
        () => sign(json(header), json(claims).replace('{', '{"__proto__":{"admin":true},')),
        'ERR_TOKEN_MALFORMED',
      ],
      ['exp missing', () => sign(json(header), json({ ...claims, exp: undefined })), 'ERR_TOKEN_CLAIMS'],
      [
        'exp 1e400 (Infinity)',
        () => sign(json(header), json(claims).replace(/"exp":\d+/, '"exp":1e400')),
        'ERR_TOKEN_CLAIMS',
      ],
      ['exp fractional', () => sign(json(header), json({ ...claims, exp: now + 600.5 })), 'ERR_TOKEN_CLAIMS'],
      [
        'expired',
        () => sign(json(header), json({ ...claims, iat: now - 700, exp: now - 100 })),
        'ERR_TOKEN_EXPIRED',
      ],
      [
        'iat in the future',
        () => sign(json(header), json({ ...claims, iat: now + 300, exp: now + 600 })),
        'ERR_TOKEN_CLAIMS',
      ],
      [
        'lifetime over policy',
        () => sign(json(header), json({ ...claims, exp: now + 7200 })),
        'ERR_TOKEN_CLAIMS',
      ],
      [
        'nbf in the future',
        () => sign(json(header), json({ ...claims, nbf: now + 300 })),
        'ERR_TOKEN_NOT_YET_VALID',
      ],
      [
        'another issuer',
        () => sign(json(header), json({ ...claims, iss: 'https://evil.example' })),
        'ERR_TOKEN_CLAIMS',
      ],
      [
        'another audience',
        () => sign(json(header), json({ ...claims, aud: 'https://other.example' })),
        'ERR_TOKEN_CLAIMS',
      ],
      ['payload not an object', () => sign(json(header), '[1,2]'), 'ERR_TOKEN_MALFORMED'],
      ['padded base64url', async () => `${await sign(json(header), json(claims))}=`, 'ERR_TOKEN_SIGNATURE'],
      [
        'two segments',
        async () => (await sign(json(header), json(claims))).split('.').slice(0, 2).join('.'),
        'ERR_TOKEN_MALFORMED',
      ],
      ['oversized', async () => `${'a'.repeat(9000)}.b.c`, 'ERR_TOKEN_MALFORMED'],
      ['not ASCII', async () => `${await sign(json(header), json(claims))}é`, 'ERR_TOKEN_MALFORMED'],
      [
        'signature cut short',
        async () => (await sign(json(header), json(claims))).slice(0, -4),
        'ERR_TOKEN_SIGNATURE',
      ],
    ];
    for (const [name, make, expected] of catalogue) {
      await check(`${alg} hostile: ${name} → ${expected}`, async () => {
        const token = await make();
        if (expected === 'OK') await verifier.verify(token);
        else await rejects(verifier.verify(token), expected);
      });
    }
  }

  // --- A remote JWK Set, over this runtime's Response ---------------------------------------------
  await check('remote JWK Set: verifies, refetches once per cool-down, fails closed', async () => {
    const { tokens } = instances.get('EdDSA')!;
    let requests = 0;
    let status = 200;
    const remote = createRemoteJwks('https://auth.example.com/.well-known/jwks.json', {
      fetch: async () => {
        requests += 1;
        return new Response(JSON.stringify(tokens.jwks()), {
          status,
          headers: { 'content-type': 'application/json', 'cache-control': 'max-age=300' },
        });
      },
    });
    const verifier = createAccessTokens({ issuer: ISSUER, audience: AUDIENCE, keys: { remote } });
    const { token } = await tokens.issueAsync({ sub: 'user-1' });
    await verifier.verify(token);
    const [head, body, signature] = token.split('.') as [string, string, string];
    const decoded = JSON.parse(new TextDecoder().decode(cryptoPlatform.bytes.fromBase64url(head))) as object;
    const flood = Array.from(
      { length: 200 },
      (_, i) => `${b64u(JSON.stringify({ ...decoded, kid: `k${i}` }))}.${body}.${signature}`,
    );
    await Promise.allSettled(flood.map((t) => verifier.verify(t)));
    expect(requests <= 2, `${requests} requests for a kid flood`);
    status = 500;
    const cold = createAccessTokens({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: {
        remote: createRemoteJwks('https://auth.example.com/jwks', {
          fetch: async () => new Response('', { status: 503 }),
        }),
      },
    });
    await rejects(cold.verify(token), 'ERR_UNAVAILABLE');
  });

  return { platform: cryptoPlatform.name, results };
}

/** Signs `input` with a private JWK, independently of tessera's signer (WebCrypto directly). */
async function signRaw(key: Jwk, input: string): Promise<string> {
  const data = encoder.encode(input);
  const members = Object.fromEntries(
    Object.entries(key).filter(([name]) => !['alg', 'kid', 'use', 'key_ops'].includes(name)),
  ) as JsonWebKey;
  const parameters =
    key.alg === 'HS256'
      ? { importAs: { name: 'HMAC', hash: 'SHA-256' }, signWith: { name: 'HMAC' } }
      : key.alg === 'ES256'
        ? { importAs: { name: 'ECDSA', namedCurve: 'P-256' }, signWith: { name: 'ECDSA', hash: 'SHA-256' } }
        : { importAs: { name: 'Ed25519' }, signWith: { name: 'Ed25519' } };
  const cryptoKey = await crypto.subtle.importKey('jwk', members, parameters.importAs, false, ['sign']);
  const signature = new Uint8Array(await crypto.subtle.sign(parameters.signWith, cryptoKey, data));
  return `${input}.${b64u(signature)}`;
}
