// Regenerates the checked-in JSON Schema: `npm run events:schema`.
import { writeFileSync } from 'node:fs';
import { EVENT_SCHEMA_FILE, eventEnvelopeJsonSchema } from './json-schema.ts';

writeFileSync(EVENT_SCHEMA_FILE, `${JSON.stringify(eventEnvelopeJsonSchema(), null, 2)}\n`);
console.log(`wrote ${EVENT_SCHEMA_FILE}`);
