import { SignJWT, type JWTPayload } from 'jose';
import { AppError } from '@roomcast/errors';
import { codeOf } from './test-support';
import { signUserToken, verifyUserToken } from './index';


describe('user tokens', () => {
  const secret = 'test-secret-0123456789';

  it('round-trips a user id', async () => {
    const token = await signUserToken(secret, 'alice');
    await expect(verifyUserToken(secret, token)).resolves.toMatchObject({ userId: 'alice' });
  });

  it('refuses missing, malformed and wrongly signed tokens as UNAUTHORIZED', async () => {
    expect(await codeOf(verifyUserToken(secret, undefined))).toBe('UNAUTHORIZED');
    expect(await codeOf(verifyUserToken(secret, 'not.a.jwt'))).toBe('UNAUTHORIZED');
    expect(await codeOf(verifyUserToken(secret, await signUserToken('another-secret-xyz', 'alice')))).toBe('UNAUTHORIZED');
  });

  it('refuses expired tokens as TOKEN_EXPIRED', async () => {
    const token = await signUserToken(secret, 'alice', -10);
    expect(await codeOf(verifyUserToken(secret, token))).toBe('TOKEN_EXPIRED');
  });

  // Including a number and an array, which RegExp.test would coerce into a matching id ('12345', 'alice').
  it.each<[string, unknown]>([
    ['a number', 12345],
    ['an array', ['alice']],
    ['an object', { id: 'alice' }],
    ['an empty string', ''],
    ['a string outside the pattern', 'has space'],
  ])('refuses a token whose sub is %s as UNAUTHORIZED, saying sub must be a string user id', async (_what, sub) => {
    const token = await new SignJWT({ sub } as JWTPayload)
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(secret));
    const err = await verifyUserToken(secret, token).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({
      code: 'UNAUTHORIZED',
      message: expect.stringContaining('`sub` must be a string user id'),
    });
  });

  it('accepts a token whose sub is a string user id', async () => {
    const token = await new SignJWT({ sub: 'user_1.a:b@c-d' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(secret));
    await expect(verifyUserToken(secret, token)).resolves.toMatchObject({ userId: 'user_1.a:b@c-d' });
  });

  it('refuses tokens without a subject or with an invalid one', async () => {
    const noSub = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(secret));
    expect(await codeOf(verifyUserToken(secret, noSub))).toBe('UNAUTHORIZED');
    const badSub = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('has space').setExpirationTime('1h').sign(new TextEncoder().encode(secret));
    expect(await codeOf(verifyUserToken(secret, badSub))).toBe('UNAUTHORIZED');
  });

  it('refuses a token without exp, however well signed', async () => {
    const noExp = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').sign(new TextEncoder().encode(secret));
    expect(await codeOf(verifyUserToken(secret, noExp))).toBe('UNAUTHORIZED');
  });

  it('refuses a token signed with an algorithm other than the configured HS256, with the same secret', async () => {
    const key = new TextEncoder().encode(secret);
    for (const alg of ['HS384', 'HS512']) {
      const other = await new SignJWT({}).setProtectedHeader({ alg }).setSubject('alice').setExpirationTime('1h').sign(key);
      expect(await codeOf(verifyUserToken(secret, other))).toBe('UNAUTHORIZED');
    }
    // alg "none": an unsigned token
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url');
    expect(await codeOf(verifyUserToken(secret, `${header}.${body}.`))).toBe('UNAUTHORIZED');
  });

  it('carries the roles claim, and refuses a token whose roles claim is malformed', async () => {
    const roles = { 'show-1': 'host', 'class.*': 'moderator' } as const;
    await expect(verifyUserToken(secret, await signUserToken(secret, 'alice', 60, { roles }))).resolves.toMatchObject({ roles });
    const plain = await verifyUserToken(secret, await signUserToken(secret, 'bob'));
    expect(plain.roles).toBeUndefined();
    const key = new TextEncoder().encode(secret);
    for (const bad of [{ 'show-1': 'owner' }, ['show-1'], 'host', { 'show-1': 1 }]) {
      const token = await new SignJWT({ roles: bad } as JWTPayload).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setExpirationTime('1h').sign(key);
      expect(await codeOf(verifyUserToken(secret, token))).toBe('UNAUTHORIZED');
    }
    await expect(signUserToken(secret, 'alice', 60, { roles: { 'show-1': 'owner' } as never })).rejects.toBeInstanceOf(AppError);
  });
});
