import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { tesseraExpress } from '@tessera/http/express';
import { tesseraFastify } from '@tessera/http/fastify';
import { tesseraHono } from '@tessera/http/hono';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStack, type Stack } from '../src/stack.js';

// The built-in routes touch only what they own: an app's routes under the same prefix keep their
// body (a login at /auth/login must work with the app's own body parser after tessera's routes).

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const APPS = {
  async express(stack: Stack): Promise<Server> {
    const app = express();
    const auth = tesseraExpress(stack.http);
    app.use(auth.routes());
    app.use(express.json());
    app.post('/auth/echo', (req, res) => {
      res.json({ body: req.body });
    });
    app.post('/auth/login', async (req, res) => {
      await auth.sendTokens(res, await stack.sessions.login(String(req.body.username)));
    });
    return createServer(app);
  },
  async fastify(stack: Stack): Promise<Server> {
    const app = Fastify();
    const auth = tesseraFastify(stack.http);
    await app.register(auth.plugin);
    app.post('/auth/echo', async (request) => ({ body: request.body }));
    app.post('/auth/login', async (request, reply) =>
      auth.sendTokens(
        reply,
        await stack.sessions.login(String((request.body as { username: string }).username)),
      ),
    );
    await app.ready();
    return app.server;
  },
  async hono(stack: Stack): Promise<Server> {
    const app = new Hono();
    const auth = tesseraHono(stack.http);
    app.use(auth.routes());
    app.post('/auth/echo', async (c) => c.json({ body: await c.req.json() }));
    app.post('/auth/login', async (c) =>
      auth.tokens(
        await stack.sessions.login(String(((await c.req.json()) as { username: string }).username)),
      ),
    );
    return createAdaptorServer({ fetch: app.fetch }) as Server;
  },
} as const;

describe.each(Object.keys(APPS) as (keyof typeof APPS)[])('own routes only, on %s', (framework) => {
  let stack: Stack;
  let server: Server;
  let url: string;
  beforeAll(async () => {
    stack = await createStack();
    server = await APPS[framework](stack);
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

  it('a login route under the prefix works, and the built-in refresh beside it', async () => {
    const login = await post('/auth/login', { username: 'alice' });
    expect(login.status).toBe(200);
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    const refreshed = await fetch(`${url}/auth/token/refresh`, { method: 'POST', headers: { cookie } });
    expect(refreshed.status).toBe(200);
  });
});
