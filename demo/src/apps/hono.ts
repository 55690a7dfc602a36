import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { type TesseraVariables, tesseraHono } from '@tessera/http/hono';
import { Hono } from 'hono';
import type { Stack } from '../stack.js';
import { appLogic, INVALID_CREDENTIALS, ORDERS } from './shared.js';

/** The example API on Hono 4 (served by @hono/node-server). */
export function honoServer(stack: Stack): Server {
  const app = new Hono<{ Variables: TesseraVariables }>();
  const auth = tesseraHono(stack.http);
  const logic = appLogic(stack);
  const body = (request: Request) => request.json().catch(() => undefined);
  app.use(auth.routes());
  // A TesseraError from our own routes (a Redis outage during login) answers like the built-in ones.
  app.onError(auth.onError);
  app.post('/login', async (c) => {
    const tokens = await logic.login(await body(c.req.raw), auth.metaOf(c), auth.dpopOf(c));
    return tokens === undefined ? c.json(INVALID_CREDENTIALS, 401) : auth.tokens(tokens);
  });
  app.get('/open', (c) => c.json({ ok: true }));
  app.get('/api/hello', auth.authenticate(), (c) => c.json({ ok: true, sub: c.get('auth').sub }));
  app.get('/api/orders', auth.authenticate({ scope: 'orders:read' }), (c) =>
    c.json({ user: c.var.auth.sub, orders: ORDERS }),
  );
  app.post('/api/orders', auth.authenticate({ scope: 'orders:write' }), (c) =>
    c.json({ created: true }, 201),
  );
  app.post('/api/password', auth.authenticate(), async (c) => {
    const kept = await logic.changePassword(c.var.auth.sub, c.var.auth.sid, await body(c.req.raw));
    return kept === undefined ? c.json(INVALID_CREDENTIALS, 401) : auth.tokens(kept);
  });
  return createAdaptorServer({ fetch: app.fetch }) as Server;
}
