/** `npm run schema`: writes schedules/schema.json from the zod schema (src/config/schema.ts). */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { configJsonSchemaText } from '../src/config/json-schema.js';

const target = path.resolve(process.argv[2] ?? 'schedules/schema.json');
writeFileSync(target, configJsonSchemaText());
console.log(`wrote ${path.relative(process.cwd(), target)}`);
