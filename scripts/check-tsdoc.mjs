/**
 * Every public export has TSDoc: TypeDoc's `notDocumented` validation, run once per entry point of
 * typedoc.json (TypeDoc 0.28 reports nothing when it is given several at once, see
 * TypeStrong/typedoc#3046), two at a time. Prints each undocumented declaration and exits 1 if
 * there is any. `pnpm docs:api` writes the reference itself (docs/api).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const typedoc = `${root}node_modules/typedoc/bin/typedoc`;
const { entryPoints } = JSON.parse(readFileSync(`${root}typedoc.json`, 'utf8'));

function check(entry) {
  return new Promise((resolve, reject) => {
    const args = ['--entryPoints', entry, '--emit', 'none', '--logLevel', 'Warn'];
    // Links and references across entry points are checked by the whole run (pnpm docs:api).
    args.push(
      '--validation.notExported',
      'false',
      '--validation.invalidLink',
      'false',
      '--intentionallyNotExported',
      '',
    );
    const child = spawn(process.execPath, [typedoc, ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ entry, code, output }));
  });
}

/** Colour codes, if TypeDoc writes any despite NO_COLOR. */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
const problems = new Set();
const queue = [...entryPoints];
async function worker() {
  for (let entry = queue.shift(); entry !== undefined; entry = queue.shift()) {
    const { code, output } = await check(entry);
    for (const line of output.split('\n')) {
      const clean = line.replace(ANSI, '');
      if (/\[(warning|error)\]/.test(clean) && !/Found \d+ errors/.test(clean)) problems.add(clean.trim());
    }
    if (code !== 0 && !output.includes('[error]')) problems.add(`${entry}: typedoc exited with ${code}`);
  }
}
await Promise.all([worker(), worker()]);
for (const problem of [...problems].sort()) console.error(problem);
console.log(`tsdoc: ${entryPoints.length} entry points, ${problems.size} undocumented or failing`);
process.exit(problems.size === 0 ? 0 : 1);
