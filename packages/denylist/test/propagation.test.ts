/**
 * Two processes (two clients, each with its own log follower) on one Redis dataset: a revocation
 * made through one is seen by the other, on Redis and on a Redis Cluster; the follower survives a
 * dropped connection without missing an entry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, newPrefix, openProcess, outcome, type Process } from './support/harness.js';

describe.each(['redis', 'cluster'] as const)('propagation between processes: %s', (kind) => {
  const prefix = newPrefix();
  let a: Process;
  let b: Process;
  beforeAll(async () => {
    a = await openProcess(kind, { prefix });
    b = await openProcess(kind, { prefix });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('a user revocation made through one process is enforced by the other', async () => {
    const epoch = await b.denylist.epoch('user-1');
    const token = b.access.issue({ sub: 'user-1', epoch }).token;
    expect(await outcome(b.access.verify(token))).toBe('ok');
    await a.denylist.revokeUser('user-1');
    expect(
      await eventually(async () => (await outcome(b.access.verify(token))) === 'ERR_TOKEN_REVOKED'),
    ).toBe(true);
    expect(await b.denylist.epoch('user-1')).toBe(epoch + 1);
  });

  it('a session revocation made through one process is enforced by the other', async () => {
    const token = b.access.issue({
      sub: 'user-2',
      sid: 'sess-2',
      epoch: await b.denylist.epoch('user-2'),
    }).token;
    await a.denylist.revokeSession('sess-2');
    expect(
      await eventually(async () => (await outcome(b.access.verify(token))) === 'ERR_TOKEN_REVOKED'),
    ).toBe(true);
  });

  it('a process started later rebuilds every recent revocation from Redis', async () => {
    const token = a.access.issue({
      sub: 'user-3',
      sid: 'sess-3',
      epoch: await a.denylist.epoch('user-3'),
    }).token;
    const other = a.access.issue({
      sub: 'user-4',
      sid: 'sess-4',
      epoch: await a.denylist.epoch('user-4'),
    }).token;
    await a.denylist.revokeUser('user-3');
    await a.denylist.revokeSession('sess-4');
    const late = await openProcess(kind, { prefix });
    try {
      expect(await outcome(late.access.verify(token))).toBe('ERR_TOKEN_REVOKED');
      expect(await outcome(late.access.verify(other))).toBe('ERR_TOKEN_REVOKED');
      const fresh = late.access.issue({ sub: 'user-3', epoch: await late.denylist.epoch('user-3') }).token;
      expect(await outcome(late.access.verify(fresh))).toBe('ok');
    } finally {
      await late.close();
    }
  });
});
