/**
 * The refresh MAC secret runbook (docs/access-tokens.md, "Key rotation that a fleet survives"): a
 * session keeps the secret it was born with, so a new secret is first known everywhere, then signs,
 * and the old one leaves only after absoluteTtl. Played on one shared store by instances in each
 * phase; skipping the first phase ends sessions, and so does removing the old secret early.
 */
import { randomBytes } from 'node:crypto';
import { createMemoryStore, createRefreshTokens, type RefreshStore } from '@tessera/refresh';
import { describe, expect, it } from 'vitest';

const S1 = { id: '2026-11', secret: randomBytes(32) };
const S2 = { id: '2026-12', secret: randomBytes(32) };
const DAY = 86_400_000;

function fleet(store: RefreshStore, clock: () => number) {
  const instance = (secrets: (typeof S1)[]) => createRefreshTokens({ store, secrets, clock });
  return {
    before: instance([S1]),
    known: instance([S1, S2]), // phase 1: S2 verifies, S1 still signs new sessions
    signing: instance([S2, S1]), // phase 2: S2 signs new sessions, S1 sessions go on
    retired: instance([S2]), // phase 3, after absoluteTtl: S1 is gone
  };
}

const secretOf = (token: string) => token.split('.')[1];

describe('refresh MAC secret rotation', () => {
  it('following the runbook, every session on any instance of any phase goes on rotating', async () => {
    const store = createMemoryStore();
    const time = { now: Date.UTC(2026, 11, 1) };
    const { before, known, signing } = fleet(store, () => time.now);
    const old = await before.issue({ sub: 'alice' });
    // Phase 1 rolling out: old and phase-1 instances side by side, both sign with S1.
    const bornInPhase1 = await known.issue({ sub: 'bob' });
    expect(secretOf(bornInPhase1.token)).toBe(S1.id);
    let a = await known.rotate(old.token);
    a = await before.rotate(a.token);
    // Phase 2 rolling out: phase-1 instances already know S2, so sessions born under S2 rotate there.
    const bornInPhase2 = await signing.issue({ sub: 'carol' });
    expect(secretOf(bornInPhase2.token)).toBe(S2.id);
    const c = await known.rotate(bornInPhase2.token);
    await signing.rotate(c.token);
    // A session keeps the secret it was born with.
    a = await signing.rotate(a.token);
    expect(secretOf(a.token)).toBe(S1.id);
  });

  it('skipping phase 1 ends the sessions born under the new secret on instances not yet updated', async () => {
    const store = createMemoryStore();
    const time = { now: Date.UTC(2026, 11, 1) };
    const { before, signing } = fleet(store, () => time.now);
    const born = await signing.issue({ sub: 'carol' });
    await expect(before.rotate(born.token)).rejects.toMatchObject({ code: 'ERR_REFRESH_INVALID' });
  });

  it('removing the old secret ends the sessions born under it; after absoluteTtl there are none', async () => {
    const store = createMemoryStore();
    const time = { now: Date.UTC(2026, 11, 1) };
    const { before, retired, signing } = fleet(store, () => time.now);
    const old = await before.issue({ sub: 'alice' });
    await expect(retired.rotate(old.token)).rejects.toMatchObject({ code: 'ERR_REFRESH_INVALID' });
    // Past the absolute lifetime (30 days by default) the session would have ended anyway.
    const older = await before.issue({ sub: 'dave' });
    time.now += 31 * DAY;
    await expect(signing.rotate(older.token)).rejects.toMatchObject({ code: 'ERR_REFRESH_EXPIRED' });
  });
});
