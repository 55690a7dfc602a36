/**
 * Copies each example file into the Markdown code block that follows its marker
 * `<!-- example: examples/name.ts -->`, so the docs show exactly the code the test suite runs.
 * Usage: `pnpm --filter @tessera/docs sync` (the docs test fails when a block is out of date).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { markdownFiles, syncMarkdown } from './test/markdown.js';
import { syncOptionsTables } from './test/options-tables.js';

for (const file of markdownFiles()) {
  const before = readFileSync(file, 'utf8');
  const after = syncOptionsTables(syncMarkdown(before));
  if (after !== before) {
    writeFileSync(file, after);
    process.stdout.write(`updated ${file}\n`);
  }
}
