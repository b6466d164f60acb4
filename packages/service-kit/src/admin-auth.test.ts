import { Router } from 'express';
import { silentLogger } from '@roomcast/logger';
import { rateLimitPerClient, requireBearerToken } from './admin-auth';
import { closeServer, createHttpApp, listen } from './http';
import { Counter } from './metrics';

async function serve(token: string | undefined, rate?: { perSec: number; burst: number }, limited?: Counter) {
  const router = Router();
  router.use('/admin', requireBearerToken(token, 'TEST_ADMIN_TOKEN', rate, limited));
  router.get('/admin/ping', (_req, res) => {
    res.json({ ok: true });
  });
  const app = createHttpApp({ readiness: {}, logger: silentLogger(), routers: [router] });
  const { server, port } = await listen(app, 0, '127.0.0.1');
  return { url: `http://127.0.0.1:${port}/admin/ping`, close: () => closeServer(server) };
}

describe('requireBearerToken', () => {
  it('lets the right token through and refuses a wrong or missing one with 401', async () => {
    const s = await serve('right-token-0123456789');
    try {
      expect((await fetch(s.url, { headers: { authorization: 'Bearer right-token-0123456789' } })).status).toBe(200);
      expect((await fetch(s.url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await fetch(s.url)).status).toBe(401);
    } finally {
      await s.close();
    }
  });

  it('is off (ADMIN_DISABLED) without a configured token', async () => {
    const s = await serve(undefined);
    try {
      const res = await fetch(s.url, { headers: { authorization: 'Bearer anything' } });
      expect(await res.json()).toMatchObject({ code: 'ADMIN_DISABLED' });
    } finally {
      await s.close();
    }
  });

  it('rate-limits each client address, before the token is checked: 429 RATE_LIMITED past the burst', async () => {
    const limitedCount = new Counter();
    const s = await serve('right-token-0123456789', { perSec: 0.01, burst: 3 }, limitedCount);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await fetch(s.url, { headers: { authorization: 'Bearer guess' } })).status);
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      const limited = await fetch(s.url, { headers: { authorization: 'Bearer right-token-0123456789' } });
      expect(limited.status).toBe(429);
      expect(await limited.json()).toMatchObject({ code: 'RATE_LIMITED', temporary: true });
      expect(limitedCount.value).toBe(3);
    } finally {
      await s.close();
    }
  });
});

describe('rateLimitPerClient', () => {
  it('alone: passes requests up to the burst, then 429 RATE_LIMITED naming what is limited', async () => {
    const limitedCount = new Counter();
    const router = Router();
    router.get('/x', rateLimitPerClient({ perSec: 0.01, burst: 2 }, limitedCount, 'room words'), (_req, res) => {
      res.json({ ok: true });
    });
    const { server, port } = await listen(createHttpApp({ readiness: {}, logger: silentLogger(), routers: [router] }), 0, '127.0.0.1');
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await fetch(`http://127.0.0.1:${port}/x`)).status);
      expect(statuses).toEqual([200, 200, 429]);
      const limited = await fetch(`http://127.0.0.1:${port}/x`);
      expect(await limited.json()).toEqual({ code: 'RATE_LIMITED', message: 'too many room words requests; slow down', temporary: true });
      expect(limitedCount.value).toBe(2);
    } finally {
      await closeServer(server);
    }
  });
});
