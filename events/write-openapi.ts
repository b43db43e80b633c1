// Regenerates the checked-in OpenAPI document: `npm run openapi`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { OPENAPI_FILE, openApiDocument } from './openapi.ts';

mkdirSync('openapi', { recursive: true });
writeFileSync(OPENAPI_FILE, `${JSON.stringify(openApiDocument(), null, 2)}\n`);
console.log(`wrote ${OPENAPI_FILE}`);
