// Regenerates the checked-in division table: `npm run divisions`.
import { writeFileSync } from 'node:fs';
import { DIVISIONS_FILE, divisionsModule } from './divisions-build.ts';

writeFileSync(DIVISIONS_FILE, divisionsModule());
console.log(`wrote ${DIVISIONS_FILE}`);
