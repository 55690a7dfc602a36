import { createDeadlines, TimeoutError } from '@tessera/core/internal';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBatcher } from '../../src/lib/batching.js';

// The batcher only decides which calls travel together and hands each caller its own result. These
// tests drive it with a fake server that answers batches in order, in chunks of any size, and check
// what a caller can observe: its own result or its own failure, batches within the limit, a lone
// call sent at once, nothing held past its tick, and the in-flight count back to zero afterwards.

/** A call: `fail` makes the server fail this call alone. */
interface Call {
  readonly caller: number;
  readonly n: number;
  readonly fail: boolean;
}

/** A server that holds batches until `answer` releases some, in order; `down` fails whole batches. */
function fakeServer() {
  const waiting: (() => void)[] = [];
  const batches: Call[][] = [];
  let down = false;
  return {
    batches,
    run(calls: readonly Call[]): Promise<(string | Error)[]> {
      batches.push([...calls]);
      const failed = down;
      return new Promise((resolve, reject) =>
        waiting.push(() =>
          failed
            ? reject(new Error('connection lost'))
            : resolve(
                calls.map((call) =>
                  call.fail ? new Error(`${call.caller}:${call.n} failed`) : `${call.caller}:${call.n}`,
                ),
              ),
        ),
      );
    },
    answer(count: number): number {
      const now = waiting.splice(0, count);
      for (const release of now) release();
      return now.length;
    },
    set down(value: boolean) {
      down = value;
    },
    get pending() {
      return waiting.length;
    },
  };
}

const macrotask = () => new Promise<void>((resolve) => setImmediate(resolve));
const sent = (server: ReturnType<typeof fakeServer>) =>
  server.batches.reduce((sum, batch) => sum + batch.length, 0);

describe('batching', () => {
  it('any number of callers, failures and reply chunking: each caller gets its own result or failure, batches stay within the limit, nothing waits past its tick', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 1, max: 32 }),
        fc.func(fc.boolean()),
        async (callers, perCaller, chunks, maxBatch, fails) => {
          const server = fakeServer();
          const add = createBatcher(server.run, { maxBatch, track: createDeadlines(60_000).track });
          const received: string[][] = Array.from({ length: callers }, () => []);
          let added = 0;
          const done = Promise.all(
            Array.from({ length: callers }, async (_, caller) => {
              for (let n = 0; n < perCaller; n++) {
                const fail = fails(caller, n);
                added++;
                try {
                  received[caller]!.push(await add({ caller, n, fail }));
                } catch (error) {
                  received[caller]!.push(`failed: ${(error as Error).message}`);
                }
              }
            }),
          );
          let chunk = 0;
          while (server.pending > 0 || received.some((results) => results.length < perCaller)) {
            await macrotask();
            // Never held past the tick it was made in: every call made so far has been sent.
            expect(sent(server)).toBe(added);
            server.answer(chunks[chunk++ % chunks.length]!);
          }
          await done;
          for (let caller = 0; caller < callers; caller++) {
            expect(received[caller]).toEqual(
              Array.from({ length: perCaller }, (_, n) =>
                fails(caller, n) ? `failed: ${caller}:${n} failed` : `${caller}:${n}`,
              ),
            );
          }
          expect(Math.max(...server.batches.map((batch) => batch.length))).toBeLessThanOrEqual(maxBatch);
          // All settled: in flight is back to zero, so a lone call is sent at once.
          const lone = add({ caller: -1, n: 0, fail: false });
          expect(server.batches.at(-1)).toEqual([{ caller: -1, n: 0, fail: false }]);
          server.answer(1);
          await expect(lone).resolves.toBe('-1:0');
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a lone call is sent at once and alone; 64 calls in flight travel a quarter at a time', async () => {
    const server = fakeServer();
    const add = createBatcher(server.run, { maxBatch: 16, track: createDeadlines(60_000).track });
    for (let n = 0; n < 5; n++) {
      const result = add({ caller: 0, n, fail: false });
      expect(server.batches).toHaveLength(n + 1);
      expect(server.batches[n]).toHaveLength(1);
      server.answer(1);
      await expect(result).resolves.toBe(`0:${n}`);
    }

    server.batches.length = 0;
    const all = Array.from({ length: 64 }, (_, n) => add({ caller: 1, n, fail: false }));
    await macrotask();
    const sizes = server.batches.map((batch) => batch.length);
    // The first seven go alone (fewer than eight in flight), then each batch closes at a quarter of
    // those in flight; the last leaves at the end of the tick.
    expect(sizes).toEqual([1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4, 5, 7, 9, 12, 13]);
    // With 64 in flight, a batch closes at 16.
    const more = Array.from({ length: 20 }, (_, n) => add({ caller: 2, n, fail: false }));
    expect(server.batches.slice(sizes.length).map((batch) => batch.length)).toEqual([16]);
    await macrotask();
    expect(server.batches.slice(sizes.length).map((batch) => batch.length)).toEqual([16, 4]);
    server.answer(server.pending);
    await Promise.all([...all, ...more]);
  });

  it('a batch that fails fails each of its callers; calls that time out leave the in-flight count', async () => {
    const server = fakeServer();
    const add = createBatcher(server.run, { maxBatch: 16, track: createDeadlines(20).track });
    server.down = true;
    const failing = Array.from({ length: 40 }, (_, n) => add({ caller: 0, n, fail: false }));
    await macrotask();
    server.answer(server.pending);
    for (const result of failing) await expect(result).rejects.toThrow('connection lost');

    // Never answered: each caller gets its own TimeoutError.
    server.down = false;
    const hung = Array.from({ length: 40 }, (_, n) => add({ caller: 1, n, fail: false }));
    for (const result of hung) await expect(result).rejects.toBeInstanceOf(TimeoutError);
    // A late answer changes nothing, and a lone call goes at once: nothing is counted in flight.
    server.answer(server.pending);
    const before = server.batches.length;
    const lone = add({ caller: 2, n: 0, fail: false });
    expect(server.batches).toHaveLength(before + 1);
    server.answer(1);
    await expect(lone).resolves.toBe('2:0');
  });

  it('a run that throws, or answers too few results, fails the calls it cannot answer', async () => {
    const throwing = createBatcher<number, number>(
      () => {
        throw new Error('stream closed');
      },
      { maxBatch: 16, track: createDeadlines(60_000).track },
    );
    await expect(throwing(1)).rejects.toThrow('stream closed');

    const short = createBatcher<number, number>(async (items) => items.slice(0, -1), {
      maxBatch: 16,
      track: createDeadlines(60_000).track,
    });
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, n) => short(n)));
    expect(results.filter((result) => result.status === 'rejected').length).toBeGreaterThan(0);
    results.forEach((result, n) => {
      if (result.status === 'fulfilled') expect(result.value).toBe(n);
      else expect(String(result.reason)).toContain('no result for this call');
    });
  });
});
