import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwtVerify,
  SignJWT,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';
import { RolesClaim, USER_ID_PATTERN } from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';

export interface UserClaims {
  userId: string;
  /** Expiry, seconds since epoch. */
  exp: number;
  /**
   * Room roles the token grants (claim `roles`: room id or `prefix*` -> `moderator` | `host`).
   * Absent when the token has none. A malformed `roles` claim refuses the token (UNAUTHORIZED).
   */
  roles?: RolesClaim;
}

export interface SignOptions {
  /** The `roles` claim (room id or `prefix*` -> role). */
  roles?: RolesClaim | undefined;
}

const ALG = 'HS256';
const encoder = new TextEncoder();

/** Mints an HS256 token for `userId` valid `ttlSeconds` (default 1 h), with optional room roles. */
export async function signUserToken(
  secret: string,
  userId: string,
  ttlSeconds = 3600,
  options: SignOptions = {},
): Promise<string> {
  if (!USER_ID_PATTERN.test(userId)) throw new AppError('BAD_REQUEST', 'userId: 1-128 of [A-Za-z0-9_.:@-]');
  if (options.roles !== undefined && !RolesClaim.safeParse(options.roles).success)
    throw new AppError('BAD_REQUEST', 'roles: room id or prefix* -> moderator | host');
  return new SignJWT(options.roles !== undefined ? { roles: options.roles } : {})
    .setProtectedHeader({ alg: ALG })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(encoder.encode(secret));
}

/**
 * Verifies an HS256 token (createTokenVerifier with only a secret). Throws AppError TOKEN_EXPIRED for an expired token and UNAUTHORIZED
 * for anything else wrong (missing, malformed, bad signature, other algorithm, a `sub` that is not a
 * string matching USER_ID_PATTERN).
 */
export async function verifyUserToken(secret: string, token: string | undefined | null): Promise<UserClaims> {
  return createTokenVerifier({ hs256Secret: secret })(token);
}

/** Asymmetric algorithms accepted for tokens whose key comes from a JWKS. */
export const JWKS_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;

export interface TokenVerifierOptions {
  /** HS256 shared secret; omit to accept only JWKS-signed tokens. */
  hs256Secret?: string | undefined;
  /**
   * Public keys for RS256, ES256 and EdDSA tokens, chosen by the token's `kid`: a JWKS document
   * (e.g. read from a file) or the URL of one (fetched, cached, and fetched again when a token
   * names a `kid` it does not know — key rotation).
   */
  jwks?: { keys: JSONWebKeySet } | { url: string; cooldownMs?: number } | undefined;
  /** When set, the token's `iss` must be this. */
  issuer?: string | undefined;
  /** When set, the token's `aud` must contain this. */
  audience?: string | undefined;
}

export type TokenVerifier = (token: string | undefined | null) => Promise<UserClaims>;

/**
 * A verifier for user tokens: HS256 with the shared secret and/or RS256/ES256/EdDSA with a JWKS,
 * any other algorithm refused (`none` included). Every token needs `exp` and a string `sub`
 * matching USER_ID_PATTERN; `iss` and `aud` are checked when configured. Throws AppError
 * TOKEN_EXPIRED for an expired token and UNAUTHORIZED for anything else wrong.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const secret = options.hs256Secret === undefined ? undefined : encoder.encode(options.hs256Secret);
  const jwks: JWTVerifyGetKey | undefined =
    options.jwks === undefined
      ? undefined
      : 'url' in options.jwks
        ? createRemoteJWKSet(new URL(options.jwks.url), {
            // An unknown kid refetches at most this often (jose's default 30 s).
            ...(options.jwks.cooldownMs !== undefined ? { cooldownDuration: options.jwks.cooldownMs } : {}),
          })
        : createLocalJWKSet(options.jwks.keys);
  if (secret === undefined && jwks === undefined)
    throw new AppError('CONFIG_INVALID', 'token verification needs an HS256 secret or a JWKS');
  const algorithms: string[] = [...(secret ? [ALG] : []), ...(jwks ? JWKS_ALGORITHMS : [])];
  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (header.alg === ALG && secret !== undefined) return secret;
    if (jwks !== undefined && header.alg !== ALG) return jwks(header, token);
    throw new AppError('UNAUTHORIZED', `tokens signed with ${String(header.alg)} are not accepted`);
  };
  return (token) => verifyWith(token, getKey, {
    algorithms,
    ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
    ...(options.audience !== undefined ? { audience: options.audience } : {}),
  });
}

async function verifyWith(
  token: string | undefined | null,
  getKey: JWTVerifyGetKey,
  checks: { algorithms: string[]; issuer?: string; audience?: string },
): Promise<UserClaims> {
  if (!token) throw new AppError('UNAUTHORIZED', 'missing token');
  try {
    const { payload } = await jwtVerify(token, getKey, { ...checks, requiredClaims: ['sub', 'exp'] });
    // jose types `sub` as a string but does not check it, and RegExp.test would turn 12345 or
    // ['alice'] into a matching string: such a token's chats were acked, then failed the
    // downstream schema and vanished (issue 11).
    const sub: unknown = payload.sub;
    if (typeof sub !== 'string' || !USER_ID_PATTERN.test(sub))
      throw new AppError('UNAUTHORIZED', 'token `sub` must be a string user id (1-128 of [A-Za-z0-9_.:@-])');
    if (payload.roles === undefined) return { userId: sub, exp: payload.exp ?? 0 };
    const roles = RolesClaim.safeParse(payload.roles);
    if (!roles.success) throw new AppError('UNAUTHORIZED', 'token `roles` must map room ids (or prefix*) to moderator or host');
    return { userId: sub, exp: payload.exp ?? 0, roles: roles.data };
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (err instanceof errors.JWTExpired) throw new AppError('TOKEN_EXPIRED', 'token expired', { cause: err });
    throw new AppError('UNAUTHORIZED', 'invalid token', { cause: err });
  }
}
