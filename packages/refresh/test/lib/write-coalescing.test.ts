import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CorkableStream, createWriteCoalescer } from '../../src/lib/write-coalescing.js';

// The coalescer only decides when a socket's buffered writes leave. These tests drive it with a fake
// socket and a fake server that answers in chunks of any size, and check what a caller can observe:
// every command is answered with its own reply, no batch exceeds the limit, a lone command is never
// held back, and the socket is never left corked.

/** A socket that records how many writes leave together (one batch per uncork to depth 0). */
class FakeSocket implements CorkableStream {
  writable = true;
  depth = 0;
  held = 0;
  readonly batches: number[] = [];
  /** Writes that left while the socket was not corked (each its own system call). */
  direct = 0;
  cork(): void {
    this.depth++;
  }
  uncork(): void {
    if (this.depth === 0) return;
    this.depth--;
    if (this.depth === 0 && this.held > 0) {
      this.batches.push(this.held);
      this.held = 0;
    }
  }
  write(): void {
    if (this.depth > 0) this.held++;
    else this.direct++;
  }
}

/** A server that holds replies until `answer` releases some, in order. */
function fakeServer(socket: FakeSocket) {
  const waiting: (() => void)[] = [];
  return {
    command<T>(reply: T): () => Promise<T> {
      return () => {
        socket.write();
        return new Promise<T>((resolve) => waiting.push(() => resolve(reply)));
      };
    },
    answer(count: number): number {
      const now = waiting.splice(0, count);
      for (const resolve of now) resolve();
      return now.length;
    },
    get pending() {
      return waiting.length;
    },
  };
}

const macrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('write coalescing', () => {
  it('any number of callers, any reply chunking: each gets its own replies, batches stay within the limit, nothing stays corked', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 2, max: 32 }),
        async (callers, perCaller, chunks, maxBatch) => {
          const socket = new FakeSocket();
          const server = fakeServer(socket);
          const coalescer = createWriteCoalescer(() => socket, maxBatch);
          const received: string[][] = Array.from({ length: callers }, () => []);
          const done = Promise.all(
            Array.from({ length: callers }, async (_, caller) => {
              for (let n = 0; n < perCaller; n++) {
                const reply = await coalescer
                  .send(server.command(`${caller}:${n}`))
                  .finally(coalescer.settled);
                received[caller]!.push(reply);
              }
            }),
          );
          let chunk = 0;
          while (server.pending > 0 || received.some((replies) => replies.length < perCaller)) {
            await macrotask();
            // The socket is never corked across a macrotask: a batch leaves by the end of its tick.
            expect(socket.depth).toBe(0);
            server.answer(chunks[chunk++ % chunks.length]!);
          }
          await done;
          for (let caller = 0; caller < callers; caller++)
            expect(received[caller]).toEqual(Array.from({ length: perCaller }, (_, n) => `${caller}:${n}`));
          expect(Math.max(0, ...socket.batches)).toBeLessThanOrEqual(maxBatch);
          expect(socket.direct + socket.batches.reduce((a, b) => a + b, 0)).toBe(callers * perCaller);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a lone caller is never held back, and 64 callers do share writes', async () => {
    const socket = new FakeSocket();
    const server = fakeServer(socket);
    const coalescer = createWriteCoalescer(() => socket);
    for (let n = 0; n < 5; n++) {
      const reply = coalescer.send(server.command(n)).finally(coalescer.settled);
      expect(socket.direct).toBe(n + 1);
      server.answer(1);
      await reply;
    }
    expect(socket.batches).toEqual([]);

    // 64 in flight: the commands a chunk of replies sets off leave together, a quarter at a time.
    const all = Array.from({ length: 64 }, (_, n) => coalescer.send(server.command(n)));
    await macrotask();
    expect(socket.batches.length).toBeGreaterThan(0);
    expect(Math.max(...socket.batches)).toBeGreaterThanOrEqual(8);
    expect(Math.max(...socket.batches)).toBeLessThanOrEqual(16);
    server.answer(64);
    await Promise.all(all.map((reply) => reply.finally(coalescer.settled)));
  });

  it('a send that throws is not counted in flight, and an unwritable or missing socket is not corked', async () => {
    const socket = new FakeSocket();
    const server = fakeServer(socket);
    const coalescer = createWriteCoalescer(() => socket);
    for (let n = 0; n < 100; n++) {
      expect(() =>
        coalescer.send(() => {
          throw new Error('stream closed');
        }),
      ).toThrow('stream closed');
    }
    // Were the failed sends still counted, this lone command would be held for a batch.
    const reply = coalescer.send(server.command('x')).finally(coalescer.settled);
    expect(socket.direct).toBe(1);
    server.answer(1);
    await expect(reply).resolves.toBe('x');

    socket.writable = false;
    const many = Array.from({ length: 20 }, () => coalescer.send(server.command('y')));
    expect(socket.depth).toBe(0);
    server.answer(20);
    await Promise.all(many.map((r) => r.finally(coalescer.settled)));

    const none = createWriteCoalescer(() => undefined);
    await expect(Promise.all([1, 2, 3, 4, 5].map((n) => none.send(async () => n)))).resolves.toEqual([
      1, 2, 3, 4, 5,
    ]);
  });
});
