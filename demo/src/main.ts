/**
 * `pnpm demo`: starts the example API on 127.0.0.1 and walks through the session lifecycle over real
 * HTTP. Flags: `--serve` (keep it running, with curl examples), `--redis URL` (run on Redis),
 * `--framework express|fastify|hono` (default express), `--port N` (with --serve; default 3000).
 */
import { parseArgs } from 'node:util';
import type { SessionEvent } from '@tessera/sessions';
import { startResourceServer } from './resource-server.js';
import { FRAMEWORKS, type Framework, startServer } from './server.js';
import { createStack, PUBLIC_ORIGIN } from './stack.js';
import { walkthrough } from './walkthrough.js';

const { values } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    redis: { type: 'string' },
    framework: { type: 'string', default: 'express' },
    port: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(
    'pnpm demo [--serve] [--redis redis://127.0.0.1:6379] [--framework express|fastify|hono] [--port 3000]',
  );
  process.exit(0);
}
const framework = values.framework as Framework;
if (!FRAMEWORKS.includes(framework)) {
  console.error(`unknown framework "${values.framework}": use ${FRAMEWORKS.join(', ')}`);
  process.exit(2);
}

/** A start-up failure is one clear line and exit code 1, never a stack trace. */
function fail(what: string, error: unknown): never {
  console.error(`tessera demo: ${what}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

// The defender's screen: the walkthrough shows the lifecycle events each step caused.
let emitted: SessionEvent[] = [];
const drain = () => {
  const events = emitted;
  emitted = [];
  return events;
};
const events = (event: SessionEvent) => emitted.push(event);
const stack = await createStack({
  ...(values.redis === undefined ? {} : { redisUrl: values.redis }),
  events,
  // DPoP-bound sessions for clients that hold a key (scene 4b); bearer clients work as before.
  dpop: { origin: PUBLIC_ORIGIN },
}).catch((error: unknown) => fail(`cannot start on Redis at ${values.redis}`, error));
const port = values.port === undefined ? (values.serve ? 3000 : 0) : Number(values.port);
const server = await startServer(framework, stack, port).catch((error: unknown) =>
  fail(`cannot listen on port ${port}`, error),
);
const where = values.redis === undefined ? 'in-memory stores' : `Redis at ${values.redis}`;
console.log(`tessera demo: example API (${framework}, ${where}) listening on ${server.url}`);
// The second service: verify-only, keys from the JWK Set, revocations from the same denylist.
const reports = await startResourceServer({
  jwksUrl: `${server.url}/.well-known/jwks.json`,
  ...(values.redis === undefined ? { denylist: stack.denylist } : { redisUrl: values.redis }),
}).catch((error: unknown) => fail('cannot start the reports service', error));
console.log(`tessera demo: reports service (verify only, remote JWK Set) listening on ${reports.url}`);

if (values.serve) {
  const u = server.url;
  console.log(`
Try it (users: alice / "correct horse battery staple", bob / "hunter2 but longer"):

  # log in: the access token is in the body, the refresh token in a __Secure- cookie (-i shows it)
  curl -i -X POST ${u}/login -H 'content-type: application/json' \\
       -d '{"username":"alice","password":"correct horse battery staple"}'
  TOKEN=<access_token from the body>   RT=<value of the __Secure-tessera-rt cookie>

  curl -i ${u}/api/orders -H "authorization: Bearer $TOKEN"                  # 200
  curl -i "${u}/api/orders?access_token=$TOKEN"                              # 400: never in the URL
  curl -i -X POST ${u}/auth/token/refresh -H "cookie: __Secure-tessera-rt=$RT"   # new pair
  curl -i ${u}/auth/sessions -H "authorization: Bearer $TOKEN"               # devices page
  curl -i -X POST ${u}/auth/token/logout -H "cookie: __Secure-tessera-rt=$RT"    # 204, session over
  curl -i ${u}/.well-known/jwks.json                                         # public keys
  curl -i ${reports.url}/api/reports -H "authorization: Bearer $TOKEN"       # the second service

Ctrl-C stops it.`);
  const stop = async () => {
    await reports.close();
    await server.close();
    await stack.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} else {
  const { checks } = await walkthrough(server.url, {
    log: (line) => console.log(line),
    drain,
    reportsUrl: reports.url,
    dpopOrigin: PUBLIC_ORIGIN,
  });
  await reports.close();
  await server.close();
  await stack.close();
  process.exit(checks.every((c) => c.ok) ? 0 : 1);
}
