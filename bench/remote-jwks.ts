/**
 * Resource servers: verify through a remote JWK Set against verify with the same keys configured by
 * hand (same token, same run), and a `kid` flood against a real HTTP server that counts the requests
 * it caused.
 */
import { createAccessTokens, createRemoteJwks, generateSigningKey } from '@tessera/core';
import { type JwksServer, startJwksServer } from '../packages/core/test/support/jwks-server.js';
import { compare, medianOf, pairedRatio } from './lib/measure.js';
import { formatOps, type Section } from './lib/report.js';

const issuer = 'https://auth.example.com';
const audience = 'https://api.example.com';
const ALGS = ['EdDSA', 'ES256', 'RS256'] as const;

export async function benchRemoteJwks(options: { rounds: number; durationMs: number; floodSeconds: number }) {
  const server = await startJwksServer({ headers: { 'cache-control': 'public, max-age=300' } });
  try {
    const rows: string[][] = [];
    for (const alg of ALGS) {
      const key = await generateSigningKey(alg, { kid: `bench-${alg}` });
      const auth = createAccessTokens({ issuer, audience, keys: { sign: key }, ttl: 3600 });
      server.behaviour.body = auth.jwks();
      const token = auth.issue({ sub: 'user-7d1f3c', sid: 'sess-2b9e41', scope: 'read write profile' }).token;
      const fixed = createAccessTokens({
        issuer,
        audience,
        keys: { verify: [...auth.jwks().keys] },
        ttl: 3600,
      });
      const remote = createAccessTokens({
        issuer,
        audience,
        keys: { remote: createRemoteJwks(server.url) },
        ttl: 3600,
      });
      await remote.verify(token);
      const samples = await compare(
        [
          { name: 'static', run: () => fixed.verify(token), async: true },
          { name: 'remote', run: () => remote.verify(token), async: true },
        ],
        options,
      );
      const ratio = pairedRatio(samples, 'remote', 'static');
      rows.push([
        alg,
        formatOps(medianOf(samples, 'static')!),
        formatOps(medianOf(samples, 'remote')!),
        `${ratio.toFixed(2)}x`,
        ratio >= 0.98 ? 'met' : 'NOT met',
      ]);
      process.stderr.write(`  remote JWK Set: ${alg} done\n`);
    }
    const flood = await kidFlood(server, options.floodSeconds);
    return {
      sections: [
        {
          title: 'Resource servers: verify through a remote JWK Set, ops/s',
          header: ['alg', 'static keys', 'remote set (steady state)', 'remote / static', 'target >= 0.98x'],
          rows,
          notes: [
            'Same token, same keys; the remote set downloaded once from a real HTTP server on loopback (max-age 300), then steady state.',
          ],
        },
        {
          title: 'Resource servers: a flood of unknown kids',
          header: ['flood', 'tokens', 'requests to the issuer', 'allowed (one per cool-down)', 'verifies/s'],
          rows: flood,
          notes: [
            'Every token carries a random kid the set lacks. Concurrent: all at once; sustained: one after another for the given time with a 1 s cool-down (the smallest allowed).',
          ],
        },
      ] satisfies Section[],
    };
  } finally {
    await server.close();
  }
}

/** 10,000 unknown kids at once, then a sustained flood; the server counts what it was sent. */
async function kidFlood(server: JwksServer, seconds: number): Promise<string[][]> {
  const key = await generateSigningKey('EdDSA', { kid: 'flood' });
  const auth = createAccessTokens({ issuer, audience, keys: { sign: key } });
  server.behaviour.body = auth.jwks();
  const real = auth.issue({ sub: 'u' }).token;
  const [head, payload, signature] = real.split('.') as [string, string, string];
  const header = JSON.parse(Buffer.from(head, 'base64url').toString()) as Record<string, unknown>;
  const withKid = (i: number) =>
    `${Buffer.from(JSON.stringify({ ...header, kid: `random-${i}-${Math.trunc(performance.now())}` })).toString('base64url')}.${payload}.${signature}`;
  const rows: string[][] = [];

  const tokens = createAccessTokens({
    issuer,
    audience,
    keys: { remote: createRemoteJwks(server.url, { cooldown: 1, minCacheAge: 1 }) },
  });
  await tokens.verify(real);
  server.requests = 0;
  const started = performance.now();
  await Promise.allSettled(Array.from({ length: 10_000 }, (_, i) => tokens.verify(withKid(i))));
  const concurrentMs = performance.now() - started;
  rows.push([
    'concurrent',
    '10,000',
    String(server.requests),
    '<= 1',
    formatOps((10_000 * 1000) / concurrentMs),
  ]);

  await new Promise((resolve) => setTimeout(resolve, 1100));
  server.requests = 0;
  let sent = 0;
  const until = performance.now() + seconds * 1000;
  const begin = performance.now();
  while (performance.now() < until) {
    await tokens.verify(withKid(sent)).catch(() => undefined);
    sent += 1;
    if (sent % 256 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  const elapsed = performance.now() - begin;
  rows.push([
    `sustained, ${seconds} s`,
    sent.toLocaleString('en-US'),
    String(server.requests),
    `<= ${Math.ceil(elapsed / 1000)}`,
    formatOps((sent * 1000) / elapsed),
  ]);
  return rows;
}
