import type { Server } from 'node:http';
import { tesseraFastify } from '@tessera/http/fastify';
import Fastify from 'fastify';
import type { Stack } from '../stack.js';
import { appLogic, INVALID_CREDENTIALS, ORDERS } from './shared.js';

/** The example API on Fastify 5 (ready, not listening). */
export async function fastifyServer(stack: Stack): Promise<Server> {
  const app = Fastify({ bodyLimit: 4096 });
  const auth = tesseraFastify(stack.http);
  const logic = appLogic(stack);
  await app.register(auth.plugin);
  // A TesseraError from our own routes (a Redis outage during login) answers like the built-in ones.
  app.setErrorHandler(auth.errorHandler);
  app.post('/login', async (request, reply) => {
    const tokens = await logic.login(request.body, auth.metaOf(request), auth.dpopOf(request));
    return tokens === undefined
      ? reply.status(401).send(INVALID_CREDENTIALS)
      : auth.sendTokens(reply, tokens);
  });
  app.get('/open', async () => ({ ok: true }));
  app.get('/api/hello', { preHandler: auth.authenticate() }, async (request) => ({
    ok: true,
    sub: request.auth?.sub,
  }));
  app.get('/api/orders', { preHandler: auth.authenticate({ scope: 'orders:read' }) }, async (request) => ({
    user: request.auth?.sub,
    orders: ORDERS,
  }));
  app.post(
    '/api/orders',
    { preHandler: auth.authenticate({ scope: 'orders:write' }) },
    async (_request, reply) => reply.status(201).send({ created: true }),
  );
  app.post('/api/password', { preHandler: auth.authenticate() }, async (request, reply) => {
    const kept = await logic.changePassword(request.auth!.sub, request.auth!.sid, request.body);
    return kept === undefined ? reply.status(401).send(INVALID_CREDENTIALS) : auth.sendTokens(reply, kept);
  });
  await app.ready();
  return app.server;
}
