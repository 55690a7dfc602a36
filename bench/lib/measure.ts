/**
 * Throughput measurement. Candidates of one table run interleaved, in several rounds, in one
 * process, and each reports its median round, so drift on the machine hits all of them alike.
 */
export type Operation = () => unknown;

export interface Candidate {
  readonly name: string;
  readonly run: Operation;
  /** True when `run` returns a promise that must be awaited. */
  readonly async?: boolean;
}

const BATCH = 64;

type Loop = (durationMs: number) => Promise<number>;

/**
 * Builds a measuring loop of its own for one candidate. A loop shared by every candidate sees many
 * functions at one call site, goes megamorphic and stops inlining, which penalises small functions
 * (the raw limit most of all); a loop per candidate keeps each call site monomorphic.
 */
function loopFor(candidate: Candidate): Loop {
  const body = candidate.async ? 'await run();' : 'run();';
  const source = `return async function measure(durationMs) {
    let count = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      for (let i = 0; i < ${BATCH}; i++) ${body}
      count += ${BATCH};
      elapsed = performance.now() - start;
    } while (elapsed < durationMs);
    return (count * 1000) / elapsed;
  };`;
  return new Function('run', source)(candidate.run) as Loop;
}

/** Per candidate, its ops/s in each round (rounds interleave the candidates). */
export type Samples = Map<string, number[]>;

/**
 * Runs every candidate `rounds` times for `durationMs` each, interleaved (after a warm-up), and
 * returns every round's ops/s. Use {@link medianOf} for a figure and {@link pairedRatio} for a ratio:
 * ratios are taken round by round, between samples adjacent in time, so machine drift cancels out.
 */
export async function compare(
  candidates: readonly Candidate[],
  { rounds = 5, durationMs = 300, warmupMs = 150 } = {},
): Promise<Samples> {
  const loops = candidates.map((candidate) => [candidate.name, loopFor(candidate)] as const);
  for (const [, loop] of loops) {
    await new Promise((resolve) => setImmediate(resolve));
    await loop(warmupMs);
  }
  const samples = new Map<string, number[]>(candidates.map((c) => [c.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, loop] of loops) {
      // A loop of resolved promises never yields to I/O: let pending I/O (a denylist's log
      // follower, for one) run between rounds, as a server's request loop would.
      await new Promise((resolve) => setImmediate(resolve));
      samples.get(name)!.push(await loop(durationMs));
    }
  }
  return samples;
}

export function medianOf(samples: Samples, name: string): number | undefined {
  const values = samples.get(name);
  return values === undefined ? undefined : median(values);
}

/** Median over rounds of `a / b`, each ratio from the same round. */
export function pairedRatio(samples: Samples, a: string, b: string): number {
  const left = samples.get(a)!;
  const right = samples.get(b)!;
  return median(left.map((value, round) => value / right[round]!));
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
