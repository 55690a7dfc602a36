/** Deno, Bun and Node (on WebCrypto): run the suite, print the report as one JSON line. */
import { runConformance } from './conformance.js';

const report = await runConformance();
console.log(`CONFORMANCE ${JSON.stringify(report)}`);
