import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from '@roomcast/errors';
import type { Counter } from './metrics';
import { TokenBucket } from './token-bucket';

/** Requests per second one client address may make to an admin API, and the burst. */
export const ADMIN_RATE_PER_SEC = 10;
export const ADMIN_BURST = 30;
/** Client addresses the admin rate limit remembers; past it the table starts over (bounded memory). */
const MAX_TRACKED_CLIENTS = 10_000;

/**
 * Limits each client address to `rate` requests per second (burst `rate.burst`); over it, 429
 * RATE_LIMITED (`too many <what> requests`), counted in `limited`. Put it before any token check,
 * so guessing tokens is slow too. Remembers at most 10 000 addresses (then starts over).
 */
export function rateLimitPerClient(
  rate: { perSec: number; burst: number } = { perSec: ADMIN_RATE_PER_SEC, burst: ADMIN_BURST },
  limited?: Counter,
  what = 'admin',
): RequestHandler {
  const buckets = new Map<string, TokenBucket>();
  return (req, _res, next) => {
    const client = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    let bucket = buckets.get(client);
    if (bucket === undefined) {
      if (buckets.size >= MAX_TRACKED_CLIENTS) buckets.clear();
      buckets.set(client, (bucket = new TokenBucket(rate.perSec, rate.burst)));
    }
    if (bucket.take()) next();
    else {
      limited?.inc();
      next(new AppError('RATE_LIMITED', `too many ${what} requests; slow down`));
    }
  };
}

/**
 * Guards an admin API with a static bearer token: `Authorization: Bearer <token>`. Without a
 * configured token the routes are off (ADMIN_DISABLED, naming `envName` to set), never open.
 * Tokens are compared as SHA-256 digests with timingSafeEqual: constant time, whatever their lengths.
 * Each client address gets `rate` requests per second (burst `burst`), checked before the token
 * (so guessing is slow too); over it, 429 RATE_LIMITED, counted in `limited`.
 */
export function requireBearerToken(
  token: string | undefined,
  envName: string,
  rate: { perSec: number; burst: number } = { perSec: ADMIN_RATE_PER_SEC, burst: ADMIN_BURST },
  limited?: Counter,
): RequestHandler {
  const expected = token === undefined ? undefined : digest(token);
  const limit = rateLimitPerClient(rate, limited);
  const check: RequestHandler = (req, _res, next) => {
    if (expected === undefined) {
      next(new AppError('ADMIN_DISABLED', `this admin API is off: set ${envName}`));
      return;
    }
    const presented = /^Bearer +(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    if (presented === undefined) {
      next(new AppError('UNAUTHORIZED', `send Authorization: Bearer <${envName}>`));
      return;
    }
    if (!timingSafeEqual(digest(presented), expected)) {
      next(new AppError('UNAUTHORIZED', 'wrong admin token'));
      return;
    }
    next();
  };
  return (req, res, next) => {
    limit(req, res, (err?: unknown) => {
      if (err === undefined) check(req, res, next);
      else next(err);
    });
  };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
