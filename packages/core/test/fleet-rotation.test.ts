import {
  type AccessTokens,
  createAccessTokens,
  createRemoteJwks,
  generateSigningKey,
  type Jwk,
  type RotationPhase,
  rotationKeys,
  rotationWaits,
} from '@tessera/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIENCE, fixedClock, ISSUER, NOW } from './helpers.js';
import { type JwksServer, startJwksServer } from './support/jwks-server.js';

/**
 * A rolling deploy through a whole key rotation: three issuer instances behind one JWKS address
 * (round robin, `max-age` 300 as the HTTP adapters serve it), four resource servers verifying through
 * a remote set, and every instance verifying every live token, in simulated time. Following the
 * runbook, no request is refused at any point; skipping a wait makes refusals appear (so the test can
 * fail).
 */

const TTL = 300;
const TOLERANCE = 5;
const CACHE_LIFETIME = 300;
const STEP_MS = 5000;
/** A rollout restarts one instance per minute. */
const RESTART_EVERY_MS = 60_000;

interface Outcome {
  readonly refused: Map<string, number>;
  readonly verified: number;
  readonly downloads: number;
}

let server: JwksServer;
let current: Jwk;
let next: Jwk;

beforeAll(async () => {
  server = await startJwksServer({ headers: { 'cache-control': `public, max-age=${CACHE_LIFETIME}` } });
  current = await generateSigningKey('EdDSA', { kid: '2026-11' });
  next = await generateSigningKey('EdDSA', { kid: '2026-12' });
});
afterAll(() => server.close());

async function playRotation(waits: { publishToSwitch: number; switchToRetire: number }): Promise<Outcome> {
  const time = fixedClock(NOW);
  const base = { issuer: ISSUER, audience: AUDIENCE, ttl: TTL, clockTolerance: TOLERANCE, clock: time.clock };
  const issuerFor = (phase: RotationPhase | 'before') =>
    createAccessTokens({
      ...base,
      keys: phase === 'before' ? { sign: current } : rotationKeys({ current, next }, phase),
    });
  const fleet: AccessTokens[] = [issuerFor('before'), issuerFor('before'), issuerFor('before')];
  let turn = 0;
  server.behaviour.body = () => fleet[turn++ % fleet.length]!.jwks();
  server.requests = 0;
  const resourceServers = Array.from({ length: 4 }, () =>
    createAccessTokens({ ...base, keys: { remote: createRemoteJwks(server.url, { clock: time.clock }) } }),
  );
  const live: { token: string; exp: number }[] = [];
  const refused = new Map<string, number>();
  let verified = 0;

  async function step(): Promise<void> {
    // Real time passes between steps too: the event loop runs, downloads in flight arrive.
    await new Promise((resolve) => setTimeout(resolve, 1));
    time.now += STEP_MS;
    for (const instance of fleet) {
      const issued = instance.issue({ sub: `user-${verified % 97}` });
      live.push({ token: issued.token, exp: issued.expiresAt });
    }
    while (live.length > 0 && live[0]!.exp * 1000 <= time.now) live.shift();
    // Every instance (the issuers verify too) sees the newest tokens; every minute, every live token.
    const sample = time.now % 60_000 === 0 ? live : live.slice(-fleet.length);
    for (const verifier of [...fleet, ...resourceServers]) {
      for (const { token } of sample) {
        try {
          await verifier.verify(token);
          verified += 1;
        } catch (error) {
          const reason = `${(error as { code?: string }).code}/${(error as { reason?: string }).reason}`;
          refused.set(reason, (refused.get(reason) ?? 0) + 1);
        }
      }
    }
  }
  async function runFor(ms: number): Promise<void> {
    for (let elapsed = 0; elapsed < ms; elapsed += STEP_MS) await step();
  }
  async function rollOut(phase: RotationPhase): Promise<void> {
    for (let index = 0; index < fleet.length; index += 1) {
      fleet[index] = issuerFor(phase);
      await runFor(RESTART_EVERY_MS);
    }
  }

  await runFor(6 * 60_000);
  await rollOut('publish');
  await runFor(waits.publishToSwitch * 1000);
  await rollOut('switch');
  await runFor(waits.switchToRetire * 1000);
  await rollOut('retire');
  await runFor(6 * 60_000);
  return { refused, verified, downloads: server.requests };
}

describe('key rotation that a fleet survives', () => {
  it('following the runbook, no token is refused anywhere during the whole rotation', async () => {
    const waits = rotationWaits({ ttl: TTL, clockTolerance: TOLERANCE, jwksCacheLifetime: CACHE_LIFETIME });
    expect(waits).toEqual({ publishToSwitch: 300, switchToRetire: 305 });
    const outcome = await playRotation(waits);
    expect(Object.fromEntries(outcome.refused)).toEqual({});
    expect(outcome.verified).toBeGreaterThan(5000);
    // Four resource servers over about 30 minutes at a 300 s lifetime: a few downloads each, no storm.
    expect(outcome.downloads).toBeLessThan(4 * 12);
    expect(outcome.downloads).toBeGreaterThanOrEqual(4);
  }, 60_000);

  it('retiring the old key before its last token expired refuses tokens (the wait matters)', async () => {
    const outcome = await playRotation({ publishToSwitch: CACHE_LIFETIME, switchToRetire: 0 });
    expect(outcome.refused.get('ERR_TOKEN_SIGNATURE/kid_unknown') ?? 0).toBeGreaterThan(0);
  }, 60_000);

  it('switching before the next key is published everywhere refuses tokens', async () => {
    // Roll `switch` out while instances still only sign with the current key: they refuse the new kid.
    const time = fixedClock(NOW);
    const base = { issuer: ISSUER, audience: AUDIENCE, ttl: TTL, clock: time.clock };
    const before = createAccessTokens({ ...base, keys: { sign: current } });
    const switched = createAccessTokens({ ...base, keys: rotationKeys({ current, next }, 'switch') });
    await expect(before.verify(switched.issue({ sub: 'a' }).token)).rejects.toMatchObject({
      reason: 'kid_unknown',
    });
    // While one that published it first accepts it.
    const published = createAccessTokens({ ...base, keys: rotationKeys({ current, next }, 'publish') });
    await expect(published.verify(switched.issue({ sub: 'a' }).token)).resolves.toBeTruthy();
  });

  it('rotationKeys publishes public halves only, and refuses what cannot rotate', async () => {
    const publish = rotationKeys({ current, next }, 'publish');
    expect(publish.sign).toBe(current);
    expect(publish.verify?.[0]).not.toHaveProperty('d');
    const instance = createAccessTokens({ issuer: ISSUER, audience: AUDIENCE, keys: publish });
    expect(instance.jwks().keys.map((key) => key.kid)).toEqual(['2026-11', '2026-12']);
    expect(JSON.stringify(instance.jwks())).not.toMatch(/"d"/);
    expect(() => rotationKeys({ current, next: current }, 'switch')).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG', reason: 'duplicate_kid' }),
    );
    const { d: _d, ...publicNext } = next;
    expect(() => rotationKeys({ current, next: publicNext as Jwk }, 'switch')).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG' }),
    );
    expect(() => rotationKeys({ current, next }, 'later' as RotationPhase)).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG' }),
    );
    expect(() => rotationWaits({ ttl: Number.NaN, jwksCacheLifetime: 300 })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG' }),
    );
  });
});
