/**
 * Finds or builds the Temporal server with SQL persistence and its schema tool ahead of time (CI,
 * first setup) for the PostgreSQL test (test/integration/temporal-postgres.test.ts), and says
 * which ones are used.
 */
import { spawnSync } from 'node:child_process';
import { ensureTemporalServerTools, findTemporalServerTools, temporalServer } from '../src/temporal/server-binary.js';

const started = Date.now();
const before = findTemporalServerTools();
const tools = await ensureTemporalServerTools((line) => console.log(line));
const version = spawnSync(tools.server, ['--version'], { encoding: 'utf8' }).stdout.trim();
const how = (was: string | undefined) => (was ? 'found' : 'built');
console.log(`Temporal server: ${tools.server} (${how(before.server)}; ${version || `? (wanted ${temporalServer.version})`})`);
console.log(`Temporal SQL tool: ${tools.sqlTool} (${how(before.sqlTool)})`);
console.log(`PostgreSQL schema: ${tools.postgresSchemaDir}`);
console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
