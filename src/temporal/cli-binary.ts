/**
 * The `temporal` CLI that runs the dev server, v1.5.1, looked for in this order:
 *   1. TEMPORAL_CLI_PATH
 *   2. `temporal` on PATH
 *   3. the cached one, .tools/bin/temporal
 *   4. a download of the official release (seconds) into that cache; the URL can be changed with
 *      TEMPORAL_CLI_DOWNLOAD_URL (empty = no download). Without internet it fails at once.
 *   5. `go install` of the same version into that cache (minutes; later tags carry a `replace`
 *      directive that `go install` refuses)
 * With none of these the caller lets the Temporal SDK download its own (needs internet).
 */
import { buildTool, cachedPath, findTool, projectRoot, type GoTool, type ToolLocation, type ToolSource } from '../tools/go-binary.js';
import { describeDownloadError, downloadTool } from '../tools/download-binary.js';

export { projectRoot };

export const temporalCli: GoTool = {
  name: 'temporal',
  module: 'github.com/temporalio/cli/cmd/temporal',
  version: 'v1.5.1',
  envVar: 'TEMPORAL_CLI_PATH',
  description: 'the Temporal CLI',
};

export const temporalCliDownloadUrlVar = 'TEMPORAL_CLI_DOWNLOAD_URL';

/**
 * The official release archive (what Temporal's install docs link to) for this machine, or the
 * TEMPORAL_CLI_DOWNLOAD_URL override; undefined = no download (set to empty, or an OS/CPU
 * Temporal publishes no .tar.gz for).
 */
export function temporalCliDownloadUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const override = env[temporalCliDownloadUrlVar];
  if (override !== undefined) return override.trim() || undefined;
  const platform = ({ linux: 'linux', darwin: 'darwin' } as Record<string, string>)[process.platform];
  const arch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch];
  if (!platform || !arch) return undefined;
  return `https://temporal.download/cli/archive/${temporalCli.version}?platform=${platform}&arch=${arch}`;
}

export function findTemporalCli(location: ToolLocation = {}) {
  return findTool(temporalCli, location);
}

export interface LocateOptions extends ToolLocation {
  log: (line: string) => void;
  /** Connect timeout of the download (default 5 s). */
  connectTimeoutMs?: number;
  /** Stall timeout of the download (default 30 s). */
  idleTimeoutMs?: number;
  /** The last step (default: `go install`); tests replace it. */
  build?: (log: (line: string) => void) => Promise<string | undefined>;
}

/** Finds, downloads or builds the CLI, and says where it came from; undefined = none of these worked. */
export async function locateTemporalCli(options: LocateOptions): Promise<{ path: string; source: ToolSource } | undefined> {
  const { log } = options;
  const found = findTemporalCli(options);
  if (found) return found;

  const url = temporalCliDownloadUrl(options.env ?? process.env);
  if (url) {
    const started = Date.now();
    log(`Downloading ${temporalCli.description} ${temporalCli.version} from ${url}…`);
    try {
      const downloaded = await downloadTool({
        url,
        entry: temporalCli.name,
        target: cachedPath(temporalCli, options),
        versionArgs: ['--version'],
        connectTimeoutMs: options.connectTimeoutMs,
        idleTimeoutMs: options.idleTimeoutMs,
      });
      log(`Downloaded ${downloaded.path} (${(downloaded.bytes / 1e6).toFixed(1)} MB in ${(downloaded.ms / 1000).toFixed(1)} s): ${downloaded.version}`);
      return { path: downloaded.path, source: 'download' };
    } catch (error) {
      log(`Could not download ${temporalCli.description} after ${Date.now() - started} ms (${describeDownloadError(error)}); building it with Go instead.`);
    }
  }

  const build = options.build ?? ((buildLog) => buildTool(temporalCli, buildLog, options));
  const built = await build(log);
  return built ? { path: built, source: 'go install' } : undefined;
}

/** Finds the CLI, downloading or building it if needed; undefined means "let the SDK download one". */
export async function ensureTemporalCli(log: (line: string) => void): Promise<string | undefined> {
  return (await locateTemporalCli({ log }))?.path;
}
