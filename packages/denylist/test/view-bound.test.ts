/**
 * A flood of revocations past the view's bound (`maxViewEntries`) never makes the view forget one:
 * every token issued before the revocation that did not fit is refused, tokens issued after it
 * work, and memory stays at the bound. On the memory denylist and on a real Redis one.
 */
import { createAccessTokens, generateSigningKey, isTesseraError } from '@tessera/core';
import { createDenylist, createMemoryDenylist, type Denylist } from '@tessera/denylist';
import { describe, expect, it } from 'vitest';
import { connect, NOW, pastTheOrigin, ready, testClock } from './support/harness.js';

const BOUND = 200;

async function flood(denylist: Denylist, clock: ReturnType<typeof testClock>) {
  const access = createAccessTokens({
    issuer: 'https://auth.test',
    audience: 'https://api.test',
    keys: { sign: await generateSigningKey('EdDSA') },
    revocation: denylist,
    clock: clock.now,
  });
  const issue = async (sub: string, sid: string) =>
    access.issue({ sub, sid, epoch: await denylist.epoch(sub) }).token;
  const before = await issue('bystander', 'bystander-session');
  const victim = await issue('victim', 'victim-session');
  clock.advance(1000);
  // BOUND revocations fill the view; the victim's is one past it.
  for (let i = 0; i < BOUND; i++) await denylist.revokeSession(`filler-${i}`);
  await denylist.revokeSession('victim-session');
  clock.advance(6000);
  const after = await issue('bystander', 'bystander-session-2');
  const verdict = (token: string) =>
    access.verify(token).then(
      () => 'ok',
      (error: unknown) => (isTesseraError(error) ? `${error.code}:${error.reason}` : String(error)),
    );
  return { victim: await verdict(victim), before: await verdict(before), after: await verdict(after) };
}

describe('past the view bound: fail closed, never forget', () => {
  it('memory denylist', async () => {
    const clock = testClock(NOW);
    const denylist = createMemoryDenylist({ clock: clock.now, maxViewEntries: BOUND });
    expect(await flood(denylist, clock)).toEqual({
      victim: 'ERR_TOKEN_REVOKED:unknown_entry',
      before: 'ERR_TOKEN_REVOKED:unknown_entry',
      after: 'ok',
    });
  });

  it('Redis denylist', async () => {
    const client = await connect('redis');
    await ready(client);
    const prefix = `bound-${Math.random().toString(36).slice(2)}`;
    const clock = testClock(Date.now() + 2000);
    const denylist = createDenylist({
      client,
      prefix,
      clock: clock.now,
      maxViewEntries: BOUND,
      onWarning: () => {},
    });
    try {
      await denylist.start();
      await pastTheOrigin(client, prefix);
      expect(await flood(denylist, clock)).toEqual({
        victim: 'ERR_TOKEN_REVOKED:unknown_entry',
        before: 'ERR_TOKEN_REVOKED:unknown_entry',
        after: 'ok',
      });
    } finally {
      await denylist.close();
      client.disconnect();
    }
  });
});
