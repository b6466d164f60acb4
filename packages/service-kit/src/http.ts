import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler, type Express, type Router } from 'express';
import { AppError, toAppError } from '@roomcast/errors';
import type { Logger } from '@roomcast/logger';
import type { MetricsRegistry } from './metrics';

/** A named readiness check: resolves true when the dependency is usable. */
export type ReadinessCheck = () => Promise<boolean> | boolean;

export interface HttpOptions {
  routers?: Router[];
  /** Every check must pass for /readyz to answer 200. */
  readiness: Record<string, ReadinessCheck>;
  /** Extra fields for /readyz (e.g. dictionary version). */
  info?: () => Record<string, unknown>;
  /** Served at `/metrics` in Prometheus text format (prom-client's exposition). */
  metrics?: MetricsRegistry;
  logger: Logger;
}

/**
 * The express app every service serves: `/healthz` (process is up), `/readyz` (dependencies
 * usable), the service's own routers, and one error handler that turns AppError into
 * `{ code, message, temporary }` with the code's HTTP status.
 */
export function createHttpApp(options: HttpOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const checks: Record<string, boolean> = {};
    await Promise.all(
      Object.entries(options.readiness).map(async ([name, check]) => {
        try {
          checks[name] = await check();
        } catch (err) {
          options.logger.warn({ err, check: name }, 'readiness check failed');
          checks[name] = false;
        }
      }),
    );
    const ready = Object.values(checks).every(Boolean);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not-ready', checks, ...(options.info?.() ?? {}) });
  });
  const metrics = options.metrics;
  if (metrics) {
    app.get('/metrics', async (_req, res) => {
      const text = await metrics.render();
      // end(), not send(): send() rewrites the content type's parameters.
      res.setHeader('Content-Type', metrics.contentType);
      res.end(text);
    });
  }
  for (const r of options.routers ?? []) app.use(r);
  app.use((_req, _res, next) => next(new AppError('NOT_FOUND', 'no such route')));
  const onError: ErrorRequestHandler = (err, req, res, _next) => {
    const e = clientError(err) ?? toAppError(err);
    // A client's mistake is the client's: one info line, no stack. Only our failures are errors.
    if (e.httpStatus >= 500) options.logger.error({ err, method: req.method, path: req.path }, 'request failed');
    else options.logger.info({ code: e.code, method: req.method, path: req.path, reason: e.message }, 'request refused');
    res.status(e.httpStatus).json(e.toWire());
  };
  app.use(onError);
  return app;
}

/**
 * Errors express and its body parser raise for a bad request — a malformed JSON body, a body
 * over the limit, a path that does not decode (`/rooms/%ZZ`) — as typed client errors; they
 * carry a 4xx `status`. Null for anything else.
 */
function clientError(err: unknown): AppError | null {
  if (err instanceof AppError || typeof err !== 'object' || err === null) return null;
  const { status, type } = err as { status?: unknown; type?: unknown };
  if (typeof status !== 'number' || status < 400 || status > 499) return null;
  if (type === 'entity.too.large') return new AppError('FRAME_TOO_LARGE', 'request body too large');
  if (type === 'entity.parse.failed') return new AppError('BAD_REQUEST', 'request body is not valid JSON');
  if (err instanceof URIError) return new AppError('BAD_REQUEST', 'request path is not valid percent-encoding');
  return new AppError('BAD_REQUEST', 'malformed request');
}

/** How long the readiness gauge waits for one check at scrape time, ms; slower counts as failing. */
export const READINESS_METRIC_TIMEOUT_MS = 2_000;

/**
 * `roomcast_readiness_check{service, check}`: each of `readiness`'s checks run when `/metrics` is
 * scraped, 1 passing, 0 failing, throwing or slower than READINESS_METRIC_TIMEOUT_MS — the
 * dependencies /readyz checks (bus = Kafka, presence = Redis, store = MongoDB, …) as series an
 * alert can watch.
 */
export function readinessGauge(
  metrics: MetricsRegistry,
  service: string,
  readiness: Record<string, ReadinessCheck>,
  timeoutMs = READINESS_METRIC_TIMEOUT_MS,
): void {
  const checks = Object.entries(readiness);
  metrics.gaugeFamily(
    'roomcast_readiness_check',
    'readiness checks (the ones /readyz runs) at scrape time: 1 passing, 0 failing',
    ['service', 'check'],
    async (emit) => {
      const results = await Promise.all(checks.map(([, check]) => passes(check, timeoutMs)));
      checks.forEach(([check], i) => emit({ service, check }, results[i] === true ? 1 : 0));
    },
  );
}

async function passes(check: ReadinessCheck, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(check),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
  } catch {
    // A check that throws is a failing check; /readyz logs why.
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Starts listening; resolves with the server and the port actually bound (PORT=0 picks one). */
export async function listen(app: Express, port: number, host: string): Promise<{ server: Server; port: number }> {
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}

export async function closeServer(server: Server): Promise<void> {
  server.closeIdleConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
