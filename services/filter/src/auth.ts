import type { RequestHandler } from 'express';
import { requireBearerToken } from '@roomcast/service-kit';

/**
 * Guards the admin and moderator routes: `Authorization: Bearer <FILTER_ADMIN_TOKEN>`; off
 * (ADMIN_DISABLED) without a configured token.
 */
export function requireAdminToken(token: string | undefined): RequestHandler {
  return requireBearerToken(token, 'FILTER_ADMIN_TOKEN');
}
