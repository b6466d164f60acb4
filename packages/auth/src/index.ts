import { errors, jwtVerify, SignJWT } from 'jose';
import { USER_ID_PATTERN } from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';

export interface UserClaims {
  userId: string;
  /** Expiry, seconds since epoch. */
  exp: number;
}

const ALG = 'HS256';
const encoder = new TextEncoder();

/** Mints an HS256 token for `userId` valid `ttlSeconds` (default 1 h). */
export async function signUserToken(secret: string, userId: string, ttlSeconds = 3600): Promise<string> {
  if (!USER_ID_PATTERN.test(userId)) throw new AppError('BAD_REQUEST', 'userId: 1-128 of [A-Za-z0-9_.:@-]');
  return new SignJWT({})
    .setProtectedHeader({ alg: ALG })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(encoder.encode(secret));
}

/**
 * Verifies an HS256 token. Throws AppError TOKEN_EXPIRED for an expired token and UNAUTHORIZED
 * for anything else wrong (missing, malformed, bad signature, other algorithm, a `sub` that is not a
 * string matching USER_ID_PATTERN).
 */
export async function verifyUserToken(secret: string, token: string | undefined | null): Promise<UserClaims> {
  if (!token) throw new AppError('UNAUTHORIZED', 'missing token');
  try {
    const { payload } = await jwtVerify(token, encoder.encode(secret), { algorithms: [ALG], requiredClaims: ['sub', 'exp'] });
    // jose types `sub` as a string but does not check it, and RegExp.test would turn 12345 or
    // ['alice'] into a matching string: such a token's chats were acked, then failed the
    // downstream schema and vanished (issue 11).
    const sub: unknown = payload.sub;
    if (typeof sub !== 'string' || !USER_ID_PATTERN.test(sub))
      throw new AppError('UNAUTHORIZED', 'token `sub` must be a string user id (1-128 of [A-Za-z0-9_.:@-])');
    return { userId: sub, exp: payload.exp ?? 0 };
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (err instanceof errors.JWTExpired) throw new AppError('TOKEN_EXPIRED', 'token expired', { cause: err });
    throw new AppError('UNAUTHORIZED', 'invalid token', { cause: err });
  }
}
