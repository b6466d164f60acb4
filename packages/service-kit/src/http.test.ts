import express, { Router } from 'express';
import { AppError } from '@roomcast/errors';
import { createLogger } from '@roomcast/logger';
import { closeServer, createHttpApp, listen } from './http';

/** A logger that records what was logged, at which level. */
function recordingLogger() {
  const lines: { level: number; msg: string; obj: Record<string, unknown> }[] = [];
  const stream = { write: (s: string) => lines.push(JSON.parse(s) as never) };
  return { logger: createLogger({ name: 'test', level: 'debug', destination: stream }), lines };
}

async function serve(router: Router) {
  const { logger, lines } = recordingLogger();
  const app = createHttpApp({ readiness: {}, logger, routers: [router] });
  const { server, port } = await listen(app, 0, '127.0.0.1');
  return { base: `http://127.0.0.1:${port}`, lines, close: () => closeServer(server) };
}

describe('createHttpApp errors', () => {
  const router = Router();
  router.post('/echo', express.json({ limit: '1kb' }), (req, res) => {
    res.json(req.body);
  });
  router.get('/rooms/:roomId', (req, res) => {
    res.json({ roomId: req.params.roomId });
  });
  router.get('/boom', () => {
    throw new Error('a bug');
  });
  router.get('/unavailable', () => {
    throw new AppError('STORE_UNAVAILABLE', 'mongo down');
  });

  it('answers a malformed body, an oversized body and an undecodable path with typed 4xx, logged at info without a stack', async () => {
    const s = await serve(router);
    try {
      const bad = await fetch(`${s.base}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({ code: 'BAD_REQUEST', message: 'request body is not valid JSON', temporary: false });
      const big = await fetch(`${s.base}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: 'x'.repeat(4000) }) });
      expect(big.status).toBe(413);
      expect(await big.json()).toMatchObject({ code: 'FRAME_TOO_LARGE', temporary: false });
      const uri = await fetch(`${s.base}/rooms/%ZZ`);
      expect(uri.status).toBe(400);
      expect(await uri.json()).toMatchObject({ code: 'BAD_REQUEST', temporary: false });
      const refused = s.lines.filter((l) => l.msg === 'request refused');
      expect(refused).toHaveLength(3);
      // pino: 30 = info; no error object, so no stack
      for (const l of refused) {
        expect(l.level).toBe(30);
        expect(JSON.stringify(l)).not.toContain('stack');
      }
      expect(s.lines.filter((l) => l.level >= 50)).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('keeps a server failure a logged 500 INTERNAL, and a temporary AppError its own status', async () => {
    const s = await serve(router);
    try {
      const boom = await fetch(`${s.base}/boom`);
      expect(boom.status).toBe(500);
      expect(await boom.json()).toMatchObject({ code: 'INTERNAL' });
      const down = await fetch(`${s.base}/unavailable`);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ code: 'STORE_UNAVAILABLE', temporary: true });
      const errors = s.lines.filter((l) => l.level >= 50);
      expect(errors.map((l) => l.msg)).toEqual(['request failed', 'request failed']);
    } finally {
      await s.close();
    }
  });
});
