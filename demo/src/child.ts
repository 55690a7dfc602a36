/**
 * One server of a fleet, as a separate process (used by the two-process end-to-end test):
 * `child.ts <framework>` with TESSERA_DEMO_REDIS, TESSERA_DEMO_PREFIX and TESSERA_DEMO_SECRETS (JSON
 * of SharedSecrets) in the environment. Prints `{"url": ...}` once listening; stops on SIGTERM.
 */
import { type Framework, startServer } from './server.js';
import { createStack, type SharedSecrets } from './stack.js';

const framework = (process.argv[2] ?? 'express') as Framework;
const stack = await createStack({
  redisUrl: process.env.TESSERA_DEMO_REDIS!,
  prefix: process.env.TESSERA_DEMO_PREFIX!,
  secrets: JSON.parse(process.env.TESSERA_DEMO_SECRETS!) as SharedSecrets,
});
const server = await startServer(framework, stack);
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
process.once('SIGTERM', async () => {
  await server.close();
  await stack.close();
  process.exit(0);
});
