import { signUserToken } from '@roomcast/auth';
import { AppError } from '@roomcast/errors';

/** Gives a token for a user id. */
export type TokenSource = (userId: string) => Promise<string>;

/** `ws://host:port/anything` -> `http://host:port/dev/token` (wss -> https). */
export function devTokenUrl(wsUrl: string): string {
  const u = new URL(wsUrl);
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  u.pathname = '/dev/token';
  u.search = '';
  u.hash = '';
  return u.toString();
}

/**
 * Tokens minted locally from the HS256 secret (what the gateway and Centrifugo verify), or, with
 * no secret, fetched from the embedded start's `POST /dev/token {"userId"}` -> `{"token"}`.
 */
export function createTokenSource(
  secret: string | undefined,
  ttlSeconds: number,
): (userId: string, wsUrl: string) => Promise<string> {
  if (secret !== undefined) return (userId) => signUserToken(secret, userId, ttlSeconds);
  return async (userId, wsUrl) => {
    const url = devTokenUrl(wsUrl);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId }),
    });
    if (!res.ok) throw new AppError('UNAUTHORIZED', `POST ${url}: HTTP ${res.status}`);
    const body = (await res.json()) as { token?: unknown };
    if (typeof body.token !== 'string')
      throw new AppError('UNAUTHORIZED', `POST ${url}: no token in the reply`);
    return body.token;
  };
}
