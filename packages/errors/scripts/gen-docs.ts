import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderErrorCodesMarkdown } from '../src/docs';

const out = join(__dirname, '..', '..', '..', 'docs', 'errors.md');
writeFileSync(out, renderErrorCodesMarkdown());
console.log(`wrote ${out}`);
