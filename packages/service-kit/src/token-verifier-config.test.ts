import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { signUserToken } from '@roomcast/auth';
import { AppError } from '@roomcast/errors';
import { createTokenVerifierFromConfig } from './infra';

describe('createTokenVerifierFromConfig', () => {
  it('refuses a config with neither JWT_SECRET nor a JWKS, and an unreadable JWKS file', () => {
    expect(() => createTokenVerifierFromConfig({})).toThrow(AppError);
    expect(() => createTokenVerifierFromConfig({ JWT_JWKS_FILE: '/nonexistent/jwks.json' })).toThrow(/JWT_JWKS_FILE/);
  });

  it('verifies ES256 tokens with the keys of JWT_JWKS_FILE, HS256 ones with JWT_SECRET, and checks JWT_ISSUER', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const dir = mkdtempSync(join(tmpdir(), 'jwks-'));
    const file = join(dir, 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] }));
    const verify = createTokenVerifierFromConfig({ JWT_JWKS_FILE: file, JWT_SECRET: 'hs-secret-0123', JWT_ISSUER: 'idp' });
    const es = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer('idp').setExpirationTime('1h').sign(privateKey);
    await expect(verify(es)).resolves.toMatchObject({ userId: 'alice' });
    // signUserToken sets no iss: refused once an issuer is required.
    await expect(verify(await signUserToken('hs-secret-0123', 'bob'))).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const hsOnly = createTokenVerifierFromConfig({ JWT_SECRET: 'hs-secret-0123' });
    await expect(hsOnly(await signUserToken('hs-secret-0123', 'bob'))).resolves.toMatchObject({ userId: 'bob' });
    await expect(hsOnly(es)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });
});
