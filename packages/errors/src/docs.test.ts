import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from './codes';
import { renderErrorCodesMarkdown } from './docs';

describe('docs/errors.md', () => {
  it('is the page generated from the current ERROR_CODES table', () => {
    const onDisk = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'errors.md'), 'utf8');
    // Run `pnpm --filter @roomcast/errors run docs` after changing codes.ts.
    expect(onDisk).toBe(renderErrorCodesMarkdown());
    for (const code of Object.keys(ERROR_CODES)) expect(onDisk).toContain(`\`${code}\``);
  });
});
