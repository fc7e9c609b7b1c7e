/**
 * The Temporal server with SQL persistence (not the dev server), for the test that runs on
 * PostgreSQL like a user's own cluster: `temporal-server` (go.temporal.io/server/cmd/server) and
 * `temporal-sql-tool` (…/cmd/tools/sql), both v1.29.1 — the server version the CLI v1.5.1 embeds,
 * and the newest whose go.mod Go 1.26.8 accepts (v1.30+ ask for go 1.26.10, i.e. a toolchain
 * download). Each: its environment variable, PATH, the cache .tools/bin, then `go install`. The
 * schema files come from the same module in Go's module cache (or TEMPORAL_SERVER_SCHEMA_DIR).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { buildTools, findTool, goBinary, type GoTool, type ToolLocation } from '../tools/go-binary.js';

const serverModule = 'go.temporal.io/server';
const serverVersion = 'v1.29.1';

export const temporalServer: GoTool = {
  name: 'temporal-server',
  installedName: 'server',
  module: `${serverModule}/cmd/server`,
  version: serverVersion,
  envVar: 'TEMPORAL_SERVER_PATH',
  description: 'the Temporal server',
};

export const temporalSqlTool: GoTool = {
  name: 'temporal-sql-tool',
  installedName: 'sql',
  module: `${serverModule}/cmd/tools/sql`,
  version: serverVersion,
  envVar: 'TEMPORAL_SQL_TOOL_PATH',
  description: 'its SQL schema tool',
};

export const schemaDirVar = 'TEMPORAL_SERVER_SCHEMA_DIR';

export interface TemporalServerTools {
  server: string;
  sqlTool: string;
  /** `schema/postgresql/v12` of the server module: `temporal/` and `visibility/`, each with `versioned/`. */
  postgresSchemaDir: string;
}

/** The server module's `schema/postgresql/v12`, from Go's module cache (downloading the module if needed). */
export function postgresSchemaDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env[schemaDirVar]) return env[schemaDirVar];
  const go = goBinary(env);
  if (!go) return undefined;
  const modCache = spawnSync(go, ['env', 'GOMODCACHE'], { encoding: 'utf8', env }).stdout.trim();
  let moduleDir = path.join(modCache, `${serverModule}@${serverVersion}`);
  if (!existsSync(moduleDir)) {
    const download = spawnSync(go, ['mod', 'download', '-json', `${serverModule}@${serverVersion}`], { encoding: 'utf8', env, cwd: '/' });
    moduleDir = (JSON.parse(download.stdout || '{}') as { Dir?: string }).Dir ?? moduleDir;
  }
  const dir = path.join(moduleDir, 'schema', 'postgresql', 'v12');
  return existsSync(path.join(dir, 'temporal', 'versioned')) ? dir : undefined;
}

export function findTemporalServerTools(location: ToolLocation = {}): Partial<TemporalServerTools> {
  return {
    server: findTool(temporalServer, location)?.path,
    sqlTool: findTool(temporalSqlTool, location)?.path,
    postgresSchemaDir: postgresSchemaDir(location.env),
  };
}

/** Finds both binaries and the schema, building what is missing with Go. Throws when it cannot. */
export async function ensureTemporalServerTools(log: (line: string) => void, location: ToolLocation = {}): Promise<TemporalServerTools> {
  const found = findTemporalServerTools(location);
  const missing = [temporalServer, temporalSqlTool].filter((tool) => !found[tool === temporalServer ? 'server' : 'sqlTool']);
  if (missing.length > 0) {
    const built = await buildTools(missing, log, location);
    if (!built) {
      throw new Error(
        `no ${missing.map((t) => t.name).join(' or ')}: set ${missing.map((t) => t.envVar).join(' / ')}, or install Go to build ${serverModule} ${serverVersion}`,
      );
    }
    missing.forEach((tool, i) => (found[tool === temporalServer ? 'server' : 'sqlTool'] = built[i]));
  }
  const schema = found.postgresSchemaDir ?? postgresSchemaDir(location.env);
  if (!schema) throw new Error(`no PostgreSQL schema for ${serverModule} ${serverVersion}: set ${schemaDirVar} to its schema/postgresql/v12 folder`);
  return { server: found.server!, sqlTool: found.sqlTool!, postgresSchemaDir: schema };
}
