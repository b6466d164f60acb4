import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import { codeOf } from './test-support';
import { createTokenVerifier } from './index';


interface SigningKey {
  kid: string;
  alg: string;
  privateKey: KeyLike;
  jwk: JWK;
}

async function key(alg: 'RS256' | 'ES256' | 'EdDSA', kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519' } : {});
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg } };
}

function sign(k: SigningKey, claims: { sub?: unknown; iss?: string; aud?: string } = {}, ttl = '1h'): Promise<string> {
  const jwt = new SignJWT(claims.sub === undefined ? {} : { sub: claims.sub as string }).setProtectedHeader({ alg: k.alg, kid: k.kid }).setExpirationTime(ttl);
  if (claims.iss) jwt.setIssuer(claims.iss);
  if (claims.aud) jwt.setAudience(claims.aud);
  return jwt.sign(k.privateKey);
}

describe('createTokenVerifier with a JWKS', () => {
  it('accepts RS256, ES256 and EdDSA tokens by kid from a JWKS document', async () => {
    const keys = await Promise.all([key('RS256', 'rsa-1'), key('ES256', 'ec-1'), key('EdDSA', 'ed-1')]);
    const verify = createTokenVerifier({ jwks: { keys: { keys: keys.map((k) => k.jwk) } } });
    for (const k of keys) await expect(verify(await sign(k, { sub: `user-${k.kid}` }))).resolves.toMatchObject({ userId: `user-${k.kid}` });
  });

  it('refuses a token of an unknown kid, a wrong key, an HS256 token when no secret is configured, and a missing exp', async () => {
    const known = await key('ES256', 'known');
    const stranger = await key('ES256', 'stranger');
    const verify = createTokenVerifier({ jwks: { keys: { keys: [known.jwk] } } });
    expect(await codeOf(verify(await sign(stranger, { sub: 'alice' })))).toBe('UNAUTHORIZED');
    // Signed by another key under the known kid.
    expect(await codeOf(verify(await sign({ ...stranger, kid: 'known' }, { sub: 'alice' })))).toBe('UNAUTHORIZED');
    const hs = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode('some-secret-123'));
    expect(await codeOf(verify(hs))).toBe('UNAUTHORIZED');
    const noExp = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'ES256', kid: 'known' }).sign(known.privateKey);
    expect(await codeOf(verify(noExp))).toBe('UNAUTHORIZED');
    expect(await codeOf(verify(await sign(known, { sub: 'alice' }, '-1m')))).toBe('TOKEN_EXPIRED');
  });

  it('refuses a JWKS-signed token when only the HS256 secret is configured', async () => {
    const k = await key('RS256', 'rsa');
    const verify = createTokenVerifier({ hs256Secret: 'only-a-secret-123' });
    expect(await codeOf(verify(await sign(k, { sub: 'alice' })))).toBe('UNAUTHORIZED');
  });

  it('checks iss and aud when configured', async () => {
    const k = await key('ES256', 'k');
    const verify = createTokenVerifier({ jwks: { keys: { keys: [k.jwk] } }, issuer: 'https://idp.test', audience: 'roomcast' });
    await expect(verify(await sign(k, { sub: 'alice', iss: 'https://idp.test', aud: 'roomcast' }))).resolves.toMatchObject({ userId: 'alice' });
    expect(await codeOf(verify(await sign(k, { sub: 'alice', iss: 'https://evil.test', aud: 'roomcast' })))).toBe('UNAUTHORIZED');
    expect(await codeOf(verify(await sign(k, { sub: 'alice', iss: 'https://idp.test', aud: 'other' })))).toBe('UNAUTHORIZED');
    expect(await codeOf(verify(await sign(k, { sub: 'alice' })))).toBe('UNAUTHORIZED');
  });

  it('follows key rotation at a JWKS URL: a token with a new kid makes it fetch the keys again', async () => {
    const first = await key('RS256', 'k-1');
    const second = await key('RS256', 'k-2');
    let served: JWK[] = [first.jwk];
    let fetches = 0;
    const server: Server = createServer((_req, res) => {
      fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: served }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
      const verify = createTokenVerifier({ jwks: { url, cooldownMs: 0 } });
      await expect(verify(await sign(first, { sub: 'alice' }))).resolves.toMatchObject({ userId: 'alice' });
      served = [first.jwk, second.jwk]; // the IdP rotates
      await expect(verify(await sign(second, { sub: 'bob' }))).resolves.toMatchObject({ userId: 'bob' });
      expect(fetches).toBe(2);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
