import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { UnavailableError } from '@tessera/core';
import { tesseraExpress } from '@tessera/http/express';
import { tesseraFastify } from '@tessera/http/fastify';
import { tesseraHono } from '@tessera/http/hono';
import express from 'express';
import express4 from 'express4';
import Fastify from 'fastify';
import fastify4 from 'fastify4';
import { Hono } from 'hono';
import { createAdaptorServer as createAdaptorServer2 } from 'hono-node-server2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStack, type Stack } from '../src/stack.js';

// Every supported major of every framework (Express 4 and 5, Fastify 4 and 5, Hono 4 on
// @hono/node-server 1 and 2) runs one app: tessera's routes touch only what they own (an app route
// under the same prefix keeps its body), a protected route authenticates, and a TesseraError thrown
// in the app's own route answers like the built-in ones.

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const outage = () => {
  throw new UnavailableError('the session store is unavailable', { reason: 'redis' });
};

type ExpressLike = typeof express;
function expressApp(framework: ExpressLike) {
  return async (stack: Stack): Promise<Server> => {
    const app = framework();
    const auth = tesseraExpress(stack.http);
    app.use(auth.routes());
    app.use(framework.json());
    app.post('/auth/echo', (req, res) => {
      res.json({ body: req.body });
    });
    app.post('/auth/login', async (req, res, next) => {
      try {
        await auth.sendTokens(res, await stack.sessions.login(String(req.body.username)));
      } catch (error) {
        next(error);
      }
    });
    app.get('/api/me', auth.authenticate(), (req, res) => {
      res.json({ sub: req.auth?.sub });
    });
    app.get('/api/outage', (_req, _res, next) => {
      try {
        outage();
      } catch (error) {
        next(error);
      }
    });
    app.use(auth.errors());
    return createServer(app);
  };
}

type FastifyLike = typeof Fastify;
function fastifyApp(framework: FastifyLike) {
  return async (stack: Stack): Promise<Server> => {
    const app = framework();
    const auth = tesseraFastify(stack.http);
    await app.register(auth.plugin);
    app.setErrorHandler(auth.errorHandler);
    app.post('/auth/echo', async (request) => ({ body: request.body }));
    app.post('/auth/login', async (request, reply) =>
      auth.sendTokens(
        reply,
        await stack.sessions.login(String((request.body as { username: string }).username)),
      ),
    );
    app.get('/api/me', { preHandler: auth.authenticate() }, async (request) => ({ sub: request.auth?.sub }));
    app.get('/api/outage', async () => outage());
    await app.ready();
    return app.server;
  };
}

function honoApp(adaptor: typeof createAdaptorServer) {
  return async (stack: Stack): Promise<Server> => {
    const app = new Hono<{ Variables: { auth: { sub: string } } }>();
    const auth = tesseraHono(stack.http);
    app.use(auth.routes());
    app.onError(auth.onError);
    app.post('/auth/echo', async (c) => c.json({ body: await c.req.json() }));
    app.post('/auth/login', async (c) =>
      auth.tokens(
        await stack.sessions.login(String(((await c.req.json()) as { username: string }).username)),
      ),
    );
    app.get('/api/me', auth.authenticate(), (c) => c.json({ sub: c.get('auth').sub }));
    app.get('/api/outage', () => outage());
    return adaptor({ fetch: app.fetch }) as Server;
  };
}

const APPS = {
  'express 5': expressApp(express),
  'express 4': expressApp(express4 as unknown as ExpressLike),
  'fastify 5': fastifyApp(Fastify),
  'fastify 4': fastifyApp(fastify4 as unknown as FastifyLike),
  'hono on @hono/node-server 1': honoApp(createAdaptorServer),
  'hono on @hono/node-server 2': honoApp(createAdaptorServer2 as unknown as typeof createAdaptorServer),
} as const;

describe.each(Object.keys(APPS) as (keyof typeof APPS)[])('%s', (name) => {
  let stack: Stack;
  let server: Server;
  let url: string;
  beforeAll(async () => {
    stack = await createStack();
    server = await APPS[name](stack);
    url = await listen(server);
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await stack.close();
  });

  const post = (path: string, body: unknown) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('an app route under the prefix gets its body', async () => {
    const reply = await post('/auth/echo', { hello: 'world' });
    expect(reply.status).toBe(200);
    expect(await reply.json()).toEqual({ body: { hello: 'world' } });
  });

  it('login under the prefix, a protected route, and the built-in refresh beside them', async () => {
    const login = await post('/auth/login', { username: 'alice' });
    expect(login.status).toBe(200);
    const { access_token: token } = (await login.json()) as { access_token: string };
    const me = await fetch(`${url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(await me.json()).toEqual({ sub: 'alice' });
    expect((await fetch(`${url}/api/me`)).status).toBe(401);
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    const refreshed = await fetch(`${url}/auth/token/refresh`, { method: 'POST', headers: { cookie } });
    expect(refreshed.status).toBe(200);
  });

  it("a TesseraError in the app's own route answers 503 with Retry-After, JSON, no stack", async () => {
    const reply = await fetch(`${url}/api/outage`);
    expect(reply.status).toBe(503);
    expect(reply.headers.get('retry-after')).toBe('1');
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await reply.text();
    expect(JSON.parse(text)).toMatchObject({ error: 'temporarily_unavailable' });
    expect(text).not.toMatch(/ at |stack/i);
  });
});
