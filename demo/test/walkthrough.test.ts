/** The README's demo, as a test: every step of the walkthrough, on every adapter, on memory and on Redis. */
import type { SessionEvent } from '@tessera/sessions';
import { describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../src/server.js';
import { PUBLIC_ORIGIN } from '../src/stack.js';
import { describeEvent, walkthrough } from '../src/walkthrough.js';
import { type Store, startApp } from './support/app.js';

const STORES: readonly Store[] = ['memory', 'redis'];

describe.each(FRAMEWORKS.flatMap((framework) => STORES.map((store) => [framework, store] as const)))(
  'walkthrough on %s (%s)',
  (framework, store) => {
    it("every request of every step answers as the walkthrough says, and the defender's screen shows what happened", async () => {
      let emitted: SessionEvent[] = [];
      const app = await startApp(framework, store, {
        events: (event) => emitted.push(event),
        dpop: { origin: PUBLIC_ORIGIN },
      });
      const lines: string[] = [];
      try {
        const { checks, defender } = await walkthrough(app.url, {
          log: (line) => lines.push(line),
          drain: () => {
            const events = emitted;
            emitted = [];
            return events;
          },
          dpopOrigin: PUBLIC_ORIGIN,
        });
        expect(checks.length).toBeGreaterThan(20);
        expect(checks.filter((c) => !c.ok)).toEqual([]);
        const seen = (step: string) =>
          defender.find((screen) => screen.step.startsWith(step))?.events.map((e) => e.type) ?? [];
        expect(seen('1.')).toContain('session.created');
        expect(seen('3.')).toContain('session.rotated');
        expect(seen('4.')).toEqual(
          expect.arrayContaining(['session.reuse_detected', 'session.revoked', 'token.rejected']),
        );
        // 4b: the stolen DPoP-bound tokens are refused at once; the refresh attempt is a theft signal.
        const bound = defender.find((screen) => screen.step.startsWith('4b.'))?.events ?? [];
        expect(bound.find((e) => e.type === 'session.anomaly')).toMatchObject({
          sub: 'alice',
          changed: ['dpopKey'],
          decision: 'revoke',
        });
        expect(bound.map((e) => e.type)).toEqual(
          expect.arrayContaining(['session.revoked', 'token.rejected']),
        );
        expect(bound.map((e) => e.type)).not.toContain('session.reuse_detected');
        expect(seen('5.')).toContain('session.retried');
        expect(seen('6.')).toEqual(expect.arrayContaining(['user.revoked', 'session.revoked']));
        expect(seen('7.')).toContain('session.revoked');
        // The replayer is named: the attacker's device, not the laptop.
        const reuse = defender.flatMap((s) => s.events).find((e) => e.type === 'session.reuse_detected');
        expect(reuse).toMatchObject({ sub: 'alice', client: { userAgent: 'tessera-demo/attacker' } });
        expect(
          lines.some((line) => line.includes('⚑ session.reuse_detected') && line.includes('attacker')),
        ).toBe(true);
        // Never a token on the defender's screen.
        const screen = lines.join('\n');
        expect(screen).not.toMatch(/eyJ[\w-]{10,}/);
        expect(screen).not.toMatch(/rt1\.[\w-]+\.[\w-]+/);
        expect(describeEvent(reuse!)).not.toMatch(/eyJ|rt1\./);
      } finally {
        await app.close();
      }
    });
  },
);
