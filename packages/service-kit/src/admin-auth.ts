import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from '@roomcast/errors';

/**
 * Guards an admin API with a static bearer token: `Authorization: Bearer <token>`. Without a
 * configured token the routes are off (ADMIN_DISABLED, naming `envName` to set), never open.
 * Tokens are compared as SHA-256 digests with timingSafeEqual: constant time, whatever their lengths.
 */
export function requireBearerToken(token: string | undefined, envName: string): RequestHandler {
  const expected = token === undefined ? undefined : digest(token);
  return (req, _res, next) => {
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
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
