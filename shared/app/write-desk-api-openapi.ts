// Regenerates the checked-in OpenAPI document of the duty-desk API: `npm run openapi`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { DESK_API_OPENAPI_FILE, deskApiOpenApiDocument } from './desk-api-openapi.ts';

mkdirSync('openapi', { recursive: true });
writeFileSync(DESK_API_OPENAPI_FILE, `${JSON.stringify(deskApiOpenApiDocument(), null, 2)}\n`);
console.log(`wrote ${DESK_API_OPENAPI_FILE}`);
