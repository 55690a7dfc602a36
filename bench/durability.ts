/**
 * What the durability option costs: revocations and rotations per second at 64 concurrent callers on
 * a primary with one replica (both on loopback, no persistence), without the option and with
 * `durability: { replicas: 1 }` (each write followed by WAIT 1 on the same connection), in
 * interleaved rounds of one run.
 */
import { createDenylist } from '@tessera/denylist';
import { createRedisStore } from '@tessera/refresh/redis';
import { Redis } from 'ioredis';
import { RedisServer } from '../test/support/redis.js';
import { revocationsPerSecond } from './denylist.js';
import { median } from './lib/measure.js';
import { formatOps, type Section } from './lib/report.js';
import { rotationsPerSecond } from './refresh-tokens.js';

export async function benchDurability(options: { rounds?: number; durationMs?: number } = {}) {
  const rounds = options.rounds ?? 5;
  const durationMs = options.durationMs ?? 1000;
  const primary = await RedisServer.start();
  const replica = await primary.replica();
  const client = new Redis({ port: primary.port, host: '127.0.0.1' });
  const durability = { replicas: 1, timeoutMs: 2000 } as const;
  const plain = createDenylist({ client, prefix: 'bd-plain', onWarning: () => {} });
  const durable = createDenylist({ client, prefix: 'bd-durable', durability, onWarning: () => {} });
  const plainStore = createRedisStore({ client, prefix: 'br-plain' });
  const durableStore = createRedisStore({ client, prefix: 'br-durable', durability });
  try {
    await Promise.all([plain.start(), durable.start()]);
    const figures = { revoke: [[], []] as number[][], rotate: [[], []] as number[][] };
    // Round 0 warms up (JIT, script loads) and is not counted; ABBA order inside each round.
    for (let r = 0; r <= rounds; r++) {
      const order = r % 2 === 0 ? [0, 1] : [1, 0];
      for (const which of order) {
        const revoke = await revocationsPerSecond(which === 0 ? plain : durable, 64, durationMs);
        const rotate = await rotationsPerSecond(which === 0 ? plainStore : durableStore, 64, durationMs);
        if (r === 0) continue;
        figures.revoke[which]!.push(revoke);
        figures.rotate[which]!.push(rotate);
      }
    }
    const row = (name: string, [without, withIt]: number[][]) => {
      const a = median(without!);
      const b = median(withIt!);
      return [name, `${formatOps(a)}/s`, `${formatOps(b)}/s`, `${(b / a).toFixed(2)}x`];
    };
    const sections: Section[] = [
      {
        title: 'Durability: the cost of `durability: { replicas: 1 }`',
        header: ['operation, 64 concurrent callers', 'primary only (default)', 'WAIT 1 replica', 'ratio'],
        rows: [row('revokeUser', figures.revoke), row('refresh rotation (Redis store)', figures.rotate)],
        notes: [
          `one primary and one replica, redis-server on loopback, no persistence; ${rounds} interleaved rounds of ${durationMs} ms per candidate (ABBA), median.`,
          'with the option, a write resolves only once the replica acknowledged it (WAIT after the script, in one pipeline); the primary-only default is what every other table measures.',
        ],
      },
    ];
    return { sections };
  } finally {
    await Promise.all([plain.close(), durable.close()]);
    client.disconnect();
    await Promise.all([primary.close(), replica.close()]);
  }
}
