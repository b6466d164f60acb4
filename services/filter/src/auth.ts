import type { RequestHandler } from 'express';
import { requireBearerToken, type Counter } from '@roomcast/service-kit';

/**
 * Guards the admin and moderator routes: `Authorization: Bearer <FILTER_ADMIN_TOKEN>`; off
 * (ADMIN_DISABLED) without a configured token. Requests over the rate limit count in `limited`.
 */
export function requireAdminToken(token: string | undefined, limited: Counter): RequestHandler {
  return requireBearerToken(token, 'FILTER_ADMIN_TOKEN', undefined, limited);
}
