/**
 * DPoP: a bound verify (an ES256 proof, then an EdDSA token bound to its key) against a bearer
 * verify of the same token's twin (same claims, unbound), and the Redis replay cache: bytes per
 * remembered proof, and proofs/s at 64 concurrent requests beside `redis-benchmark -c 50` SET on
 * the same server.
 */
import { execFile } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes, sign } from 'node:crypto';
import { promisify } from 'node:util';
import { createAccessTokens, createDpopVerifier, generateSigningKey, type Jwk } from '@tessera/core';
import { createRedisReplayCache } from '@tessera/denylist';
import { createRefreshTokens } from '@tessera/refresh';
import { createRedisStore } from '@tessera/refresh/redis';
import { Redis } from 'ioredis';
import { RedisServer } from '../test/support/redis.js';
import { compare, median, medianOf, pairedRatio } from './lib/measure.js';
import { formatOps, type Section } from './lib/report.js';

const run = promisify(execFile);
const issuer = 'https://auth.example.com';
const audience = 'https://api.example.com';
const URL_ = 'https://api.example.com/orders';

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64url');

export async function benchDpop(options: { rounds: number; durationMs: number; proofs: number }) {
  // The client's proof key (ES256), and the proofs it makes: prepared outside the timed loops.
  const proofKey = await generateSigningKey('ES256', { kid: 'client' });
  const { kty, crv, x, y } = proofKey;
  const jwk = { kty, crv, x, y };
  const privateKey = createPrivateKey({
    key: { ...proofKey } as Jwk & { [k: string]: unknown },
    format: 'jwk',
  });
  const verifier = createDpopVerifier();
  const jkt = (await verifier.verify(makeProof('warm-up', undefined), { method: 'GET', url: URL_ })).jkt;

  const signer = createAccessTokens({
    issuer,
    audience,
    keys: { sign: await generateSigningKey('EdDSA', { kid: 'as' }) },
  });
  const input = { sub: 'user-7d1f3c', sid: 'sess-2b9e41', scope: 'read write profile' };
  const bound = signer.issue({ ...input, jkt }).token;
  const bearer = signer.issue(input).token;
  const ath = createHash('sha256').update(bound).digest('base64url');

  function makeProof(jti: string, tokenHash: string | undefined): string {
    const header = b64(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk }));
    const payload = b64(
      JSON.stringify({
        jti,
        htm: 'GET',
        htu: URL_,
        iat: Math.floor(Date.now() / 1000),
        ...(tokenHash ? { ath: tokenHash } : {}),
      }),
    );
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), {
      key: privateKey,
      dsaEncoding: 'ieee-p1363',
    });
    return `${header}.${payload}.${signature.toString('base64url')}`;
  }
  const proofs = Array.from({ length: options.proofs }, (_, i) => makeProof(`p-${i}`, ath));
  let next = 0;
  // One verifier that checks replay in memory, and one whose replay check always passes (the proofs
  // are reused once exhausted): the second measures the verification alone.
  const withReplay = createAccessTokens({
    issuer,
    audience,
    keys: { verify: [...signer.jwks().keys] },
    dpop: createDpopVerifier({ maxRememberedProofs: 10_000_000 }),
  });
  const noReplay = createAccessTokens({
    issuer,
    audience,
    keys: { verify: [...signer.jwks().keys] },
    dpop: createDpopVerifier({ replay: { remember: () => true } }),
  });
  const plain = withReplay;
  const dpopRequest = (proof: string) => ({ dpop: { proof, method: 'GET', url: URL_ } });
  const samples = await compare(
    [
      { name: 'bearer verify (unbound twin)', run: () => plain.verify(bearer), async: true },
      {
        name: 'bound verify (proof + token), replay check excluded',
        run: () => noReplay.verify(bound, dpopRequest(proofs[next++ % proofs.length]!)),
        async: true,
      },
    ],
    options,
  );
  next = 0;
  const replaySamples = await compare(
    [
      {
        name: 'bound verify, memory replay cache',
        run: () => {
          if (next >= proofs.length) next = 0; // past the pool (quick runs only): proofs repeat and are refused
          return withReplay.verify(bound, dpopRequest(proofs[next++]!)).catch(() => undefined);
        },
        async: true,
      },
    ],
    { ...options, rounds: 1 },
  );
  process.stderr.write('  dpop: verify done\n');
  const ratio = pairedRatio(
    samples,
    'bound verify (proof + token), replay check excluded',
    'bearer verify (unbound twin)',
  );
  const redis = await replayOnRedis();
  process.stderr.write('  dpop: redis done\n');
  const rotation = await boundRotationOnRedis();
  process.stderr.write('  dpop: bound rotation done\n');
  return {
    sections: [
      {
        title: 'DPoP: bound verify against bearer verify (ES256 proof, EdDSA token)',
        header: ['verify', 'ops/s', 'ratio to bearer', 'target'],
        rows: [
          [
            'bearer verify (unbound twin)',
            formatOps(medianOf(samples, 'bearer verify (unbound twin)')!),
            '1.00x',
            '',
          ],
          [
            'bound verify (proof + token), replay check excluded',
            formatOps(medianOf(samples, 'bound verify (proof + token), replay check excluded')!),
            `${ratio.toFixed(2)}x`,
            ratio >= 0.45 ? '>= 0.45x: met' : '>= 0.45x: NOT met',
          ],
          [
            'bound verify, memory replay cache',
            formatOps(medianOf(replaySamples, 'bound verify, memory replay cache')!),
            '-',
            '',
          ],
        ],
        notes: [
          'Two signature checks (the proof, then the token): 0.5x is the physical limit. Proofs are made beforehand by node:crypto, one per verify; the proof key import is cached by the verifier.',
        ],
      },
      {
        title: 'DPoP: the Redis replay cache',
        header: ['figure', 'value', 'reference', 'ratio', 'target'],
        rows: [
          ['bytes per remembered proof (MEMORY USAGE)', String(redis.bytes), '-', '-', '-'],
          [
            'proofs remembered/s, 64 concurrent',
            formatOps(redis.remembered),
            `${formatOps(redis.set)} (\`redis-benchmark -c 50\` SET)`,
            `${(redis.remembered / redis.set).toFixed(2)}x`,
            redis.remembered / redis.set >= 0.5 ? '>= 0.5x: met' : '>= 0.5x: NOT met',
          ],
        ],
        notes: [
          'One `SET key 1 PX ttl NX` per proof, key = prefix + 22 characters of SHA-256(jkt.jti); median of 3 runs each.',
        ],
      },
      {
        title: "DPoP: a bound session's rotation against a bearer one (Redis store)",
        header: ['figure', 'bearer session', 'bound session', 'ratio'],
        rows: [
          [
            'rotations/s, 64 concurrent sessions',
            formatOps(rotation.bearer),
            formatOps(rotation.bound),
            `${(rotation.bound / rotation.bearer).toFixed(2)}x`,
          ],
          [
            'session record bytes (MEMORY USAGE, no device metadata)',
            String(rotation.bearerBytes),
            String(rotation.boundBytes),
            '-',
          ],
        ],
        notes: [
          'The rotation alone (the proof is verified before it, as above): the store compares the key in the same script. Rounds alternate bearer and bound; medians of 3.',
        ],
      },
    ] satisfies Section[],
  };
}

/** Rotations/s of 64 bearer sessions against 64 bound ones on one Redis store, and a record's bytes. */
async function boundRotationOnRedis() {
  const server = await RedisServer.start();
  const client = new Redis({ port: server.port, host: '127.0.0.1' });
  try {
    const refresh = createRefreshTokens({
      store: createRedisStore({ client, prefix: 'bench:rt' }),
      secrets: [{ id: 'b1', secret: randomBytes(32) }],
    });
    const jkt = 'k'.repeat(43);
    const chains = async (bound: boolean) =>
      Promise.all(
        Array.from({ length: 64 }, async (_, n) => {
          const issued = await refresh.issue({
            sub: `user-${bound ? 'b' : 'u'}-${n}`,
            ...(bound ? { jkt } : {}),
          });
          return issued.token;
        }),
      );
    // The session key is `<prefix>:s:{<owner tag>}<rest of the session id>` (docs/refresh-tokens.md).
    const bytesOf = async (sub: string) => {
      const id = (await refresh.list(sub))[0]!.sessionId;
      return Number(await client.memory('USAGE', `bench:rt:s:{${id.slice(0, 11)}}${id.slice(11)}`));
    };
    const tokens = { bearer: await chains(false), bound: await chains(true) };
    const bearerBytes = await bytesOf('user-u-0');
    const boundBytes = await bytesOf('user-b-0');
    const rates = { bearer: [] as number[], bound: [] as number[] };
    const runFor = async (kind: 'bearer' | 'bound') => {
      let count = 0;
      const start = performance.now();
      const deadline = start + 1000;
      await Promise.all(
        tokens[kind].map(async (_, n) => {
          while (performance.now() < deadline) {
            const next = await refresh.rotate(tokens[kind][n]!, kind === 'bound' ? { jkt } : {});
            tokens[kind][n] = next.token;
            count++;
          }
        }),
      );
      rates[kind].push((count * 1000) / (performance.now() - start));
    };
    for (let round = 0; round < 3; round++) {
      await runFor('bearer');
      await runFor('bound');
    }
    return { bearer: median(rates.bearer), bound: median(rates.bound), bearerBytes, boundBytes };
  } finally {
    client.disconnect();
    await server.stop();
  }
}

async function replayOnRedis(): Promise<{ bytes: number; remembered: number; set: number }> {
  const server = await RedisServer.start();
  const client = new Redis({ port: server.port, host: '127.0.0.1' });
  try {
    const cache = createRedisReplayCache({ client, prefix: 'bench:dpop', timeoutMs: 5000 });
    await cache.remember('j'.repeat(43) + '.first', 65_000);
    const [key] = await client.keys('bench:dpop:*');
    const bytes = Number(await client.memory('USAGE', key!));
    const remembered: number[] = [];
    const set: number[] = [];
    for (let round = 0; round < 3; round++) {
      let count = 0;
      const deadline = performance.now() + 1000;
      const start = performance.now();
      await Promise.all(
        Array.from({ length: 64 }, async (_, worker) => {
          while (performance.now() < deadline) {
            await cache.remember(`${worker}.${round}.${count++}`, 65_000);
          }
        }),
      );
      remembered.push((count * 1000) / (performance.now() - start));
      const { stdout } = await run('redis-benchmark', [
        '-p',
        String(server.port),
        '-c',
        '50',
        '-n',
        '200000',
        '-q',
        '-t',
        'set',
      ]);
      const match = /([\d.]+) requests per second/.exec(stdout);
      if (!match) throw new Error(`unexpected redis-benchmark output: ${stdout}`);
      set.push(Number(match[1]));
    }
    return { bytes, remembered: median(remembered), set: median(set) };
  } finally {
    client.disconnect();
    await server.stop();
  }
}
