/** Deno and Bun: interleaved rounds of tessera and jose per algorithm; prints one JSON line. */
import { ALGS, fixture, repeat } from './runtime-verify.js';

const rounds = Number((globalThis as { BENCH_ROUNDS?: number }).BENCH_ROUNDS ?? 5);
const durationMs = 300;
const result: Record<string, { tessera: number[]; jose: number[] }> = {};
for (const alg of ALGS) {
  const f = await fixture(alg);
  const samples = { tessera: [] as number[], jose: [] as number[] };
  for (const name of ['tessera', 'jose'] as const) await repeat(f[name], 200); // warm-up
  for (let round = 0; round < rounds; round++) {
    for (const name of ['tessera', 'jose'] as const) {
      let count = 0;
      const start = performance.now();
      while (performance.now() - start < durationMs) {
        await repeat(f[name], 32);
        count += 32;
      }
      samples[name].push((count * 1000) / (performance.now() - start));
    }
  }
  result[alg] = samples;
}
console.log(`RUNTIME_BENCH ${JSON.stringify(result)}`);
