/** What only the memory store promises: expired sessions are swept, so memory stays bounded. */
import { createMemoryStore } from '@tessera/refresh';
import { describe, expect, it } from 'vitest';
import { NOW, service, testClock } from './support/backends.js';

describe('memory store sweeping', () => {
  it('drops sessions past their absolute lifetime as ordinary writes go on', async () => {
    const time = testClock(NOW);
    const store = createMemoryStore({ clock: time.clock });
    const refresh = service(store, time.clock, { idleTtl: 60, absoluteTtl: 120 });
    for (let i = 0; i < 400; i++) await refresh.issue({ sub: `old-${i}` });
    expect(store.size).toBe(400);
    time.now += 121_000; // every one of them is past its absolute expiry
    // Ongoing traffic: each write examines a few records of the rolling cursor.
    let live = (await refresh.issue({ sub: 'steady' })).token;
    for (let i = 0; i < 150; i++) live = (await refresh.rotate(live)).token;
    expect(store.size).toBe(1);
  });

  it('never drops a live session, and sweep() removes every expired one at once', async () => {
    const time = testClock(NOW);
    const store = createMemoryStore({ clock: time.clock });
    const refresh = service(store, time.clock, { idleTtl: 120, absoluteTtl: 120 });
    const keep = await refresh.issue({ sub: 'keeper' });
    for (let i = 0; i < 50; i++) await refresh.issue({ sub: `u-${i}` });
    time.now += 100_000;
    expect(store.sweep()).toBe(0);
    const rotated = await refresh.rotate(keep.token);
    time.now += 21_000; // the others are past their absolute expiry; keeper's expiry is fixed too
    expect(store.sweep()).toBe(51);
    expect(store.size).toBe(0);
    expect(rotated.generation).toBe(1);
  });
});
