/**
 * The `temporal` CLI that runs the dev server: TEMPORAL_CLI_PATH, then PATH, then the cached
 * build, then `go install` of v1.5.1 (later tags carry a `replace` directive that `go install`
 * refuses); with none of these the caller lets the Temporal SDK download its own (needs internet).
 */
import { buildTool, findTool, projectRoot, type GoTool } from '../tools/go-binary.js';

export { projectRoot };

export const temporalCli: GoTool = {
  name: 'temporal',
  module: 'github.com/temporalio/cli/cmd/temporal',
  version: 'v1.5.1',
  envVar: 'TEMPORAL_CLI_PATH',
  description: 'the Temporal CLI',
};

export function findTemporalCli() {
  return findTool(temporalCli);
}

/** Finds the CLI, building it if needed; undefined means "let the SDK download one". */
export async function ensureTemporalCli(log: (line: string) => void): Promise<string | undefined> {
  return findTemporalCli()?.path ?? buildTool(temporalCli, log);
}
