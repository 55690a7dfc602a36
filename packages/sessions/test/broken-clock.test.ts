/**
 * Every package reads its injected clock through one check: a reading that is not a finite time
 * (NaN, a Date, a string...) fails closed with ERR_UNAVAILABLE, never as a pass of a time check.
 */
import { describe, expect, it } from 'vitest';
import { NOW, openStack, outcome } from './support/stack.js';

const BAD_READINGS: readonly unknown[] = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  -5,
  new Date(NOW),
  String(NOW),
  undefined,
];

describe('a broken clock fails closed in every package (memory stack)', () => {
  it.each(BAD_READINGS.map((reading) => [String(reading), reading]))(
    'clock() = %s',
    async (_name, reading) => {
      let now: unknown = NOW;
      const stack = await openStack('memory', { clock: () => now as number });
      const { accessToken, refreshToken } = await stack.sessions.login('ada');
      await stack.sessions.logout(refreshToken);
      now = reading;
      // Access: core's verify and the denylist's check each read the clock.
      expect(await outcome(stack.sessions.verify(accessToken.token))).toBe('ERR_UNAVAILABLE');
      expect(() => stack.denylist.check(accessToken.claims)).toThrowError(
        expect.objectContaining({ code: 'ERR_UNAVAILABLE', reason: 'clock' }),
      );
      // Refresh: the service, the memory store, the denylist and the session service.
      expect(await outcome(stack.refresh.rotate(refreshToken))).toBe('ERR_UNAVAILABLE');
      expect(await outcome(stack.refresh.issue({ sub: 'ada' }))).toBe('ERR_UNAVAILABLE');
      expect(await outcome(stack.sessions.login('ada'))).toBe('ERR_UNAVAILABLE');
      expect(await outcome(stack.denylist.revokeUser('ada'))).toBe('ERR_UNAVAILABLE');
      now = NOW;
      // Nothing was consumed or revived while the clock was broken.
      expect(await outcome(stack.sessions.verify(accessToken.token))).toBe('ERR_TOKEN_REVOKED');
      await stack.close();
    },
  );
});
