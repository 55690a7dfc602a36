/**
 * The server side of the HTTP bench, in its own process (so that the load generator and the server
 * do not share one event loop): the example API of one framework on the in-memory stores, with the
 * verified-token cache on. Sends `{ url, token }` to the parent once listening.
 */
import { type Framework, startServer } from '../demo/src/server.js';
import { createStack } from '../demo/src/stack.js';

const framework = process.argv[2] as Framework;
const stack = await createStack();
const server = await startServer(framework, stack);
const login = await fetch(`${server.url}/login`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username: 'alice', password: 'correct horse battery staple' }),
});
const { access_token: token } = (await login.json()) as { access_token: string };
process.send?.({ url: server.url, token });
// The bench asks for this process's CPU time around each load run (CPU per request).
process.on('message', (message) => {
  if (message === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send?.({ cpu: user + system });
  }
});
process.on('disconnect', async () => {
  await server.close();
  await stack.close();
  process.exit(0);
});
