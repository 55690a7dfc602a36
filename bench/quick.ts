import { benchAccessTokens } from './access-tokens.js';
import { renderSection } from './lib/report.js';

const f = await benchAccessTokens({ rounds: 3, durationMs: 200, algs: process.argv.slice(2) });
for (const s of f.sections) console.log(renderSection(s) + '\n');
