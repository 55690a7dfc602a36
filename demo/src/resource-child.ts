/**
 * The reports service as a separate process (used by the resource-server end-to-end test):
 * TESSERA_DEMO_JWKS (the auth server's JWK Set URL), TESSERA_DEMO_REDIS and TESSERA_DEMO_PREFIX in
 * the environment. Prints `{"url": ...}` once listening; stops on SIGTERM.
 */
import { startResourceServer } from './resource-server.js';

const server = await startResourceServer({
  jwksUrl: process.env.TESSERA_DEMO_JWKS!,
  redisUrl: process.env.TESSERA_DEMO_REDIS!,
  prefix: process.env.TESSERA_DEMO_PREFIX!,
});
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
process.once('SIGTERM', async () => {
  await server.close();
  process.exit(0);
});
