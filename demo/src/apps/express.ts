import { createServer, type Server } from 'node:http';
import { tesseraExpress } from '@tessera/http/express';
import express from 'express';
import type { Stack } from '../stack.js';
import { appLogic, INVALID_CREDENTIALS, ORDERS } from './shared.js';

/** The example API on Express 5. */
export function expressServer(stack: Stack): Server {
  const app = express();
  const auth = tesseraExpress(stack.http);
  const logic = appLogic(stack);
  const json = express.json({ limit: '4kb' });
  app.disable('x-powered-by');
  app.use(auth.routes());
  app.post('/login', json, async (req, res, next) => {
    try {
      const tokens = await logic.login(req.body, auth.metaOf(req), auth.dpopOf(req));
      if (tokens === undefined) res.status(401).json(INVALID_CREDENTIALS);
      else await auth.sendTokens(res, tokens);
    } catch (error) {
      next(error);
    }
  });
  app.get('/open', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/api/hello', auth.authenticate(), (req, res) => {
    res.json({ ok: true, sub: req.auth?.sub });
  });
  app.get('/api/orders', auth.authenticate({ scope: 'orders:read' }), (req, res) => {
    res.json({ user: req.auth?.sub, orders: ORDERS });
  });
  app.post('/api/orders', auth.authenticate({ scope: 'orders:write' }), (_req, res) => {
    res.status(201).json({ created: true });
  });
  app.post('/api/password', auth.authenticate(), json, async (req, res, next) => {
    try {
      const kept = await logic.changePassword(req.auth!.sub, req.auth!.sid, req.body);
      if (kept === undefined) res.status(401).json(INVALID_CREDENTIALS);
      else await auth.sendTokens(res, kept);
    } catch (error) {
      next(error);
    }
  });
  // Last: a TesseraError from our own routes (a Redis outage during login) answers like the built-in ones.
  app.use(auth.errors());
  return createServer(app);
}
