/**
 * `prepack` of every package: builds `dist/` (a tarball packed from a clean clone would ship none)
 * and copies the workspace's LICENSE beside package.json, so every tarball carries it.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(`${root}package.json`).resolve('typescript/bin/tsc');
try {
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
} catch {
  console.error(`prepack: the build of ${process.cwd()} failed (see above)`);
  process.exit(1);
}
copyFileSync(`${root}LICENSE`, 'LICENSE');
