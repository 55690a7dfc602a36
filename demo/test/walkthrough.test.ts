/** The README's demo, as a test: every step of the walkthrough, on every adapter, on memory and on Redis. */
import { describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../src/server.js';
import { walkthrough } from '../src/walkthrough.js';
import { type Store, startApp } from './support/app.js';

const STORES: readonly Store[] = ['memory', 'redis'];

describe.each(FRAMEWORKS.flatMap((framework) => STORES.map((store) => [framework, store] as const)))(
  'walkthrough on %s (%s)',
  (framework, store) => {
    it('every request of every step answers as the walkthrough says', async () => {
      const app = await startApp(framework, store);
      try {
        const checks = await walkthrough(app.url);
        expect(checks.length).toBeGreaterThan(20);
        expect(checks.filter((c) => !c.ok)).toEqual([]);
      } finally {
        await app.close();
      }
    });
  },
);
