/**
 * The S3-compatible server the S3 archive's tests run against (and anyone may use for a local
 * bucket): Versity's `versitygw` with its posix backend, a single Go binary. VERSITYGW_PATH, then
 * PATH, then the cached build, then `go install` of v1.8.0.
 */
import { buildTool, cachedPath, findTool, type GoTool } from '../tools/go-binary.js';

export const versitygw: GoTool = {
  name: 'versitygw',
  module: 'github.com/versity/versitygw/cmd/versitygw',
  version: 'v1.8.0',
  envVar: 'VERSITYGW_PATH',
  description: 'versitygw (S3-compatible server)',
};

export const cachedVersitygwPath = cachedPath(versitygw);

export function findVersitygw() {
  return findTool(versitygw);
}

/** Finds versitygw, building it if needed. Throws when neither is possible. */
export async function ensureVersitygw(log: (line: string) => void): Promise<string> {
  const found = findVersitygw()?.path ?? (await buildTool(versitygw, log));
  if (!found) throw new Error(`no S3 server: versitygw is not on PATH or at ${cachedVersitygwPath}, VERSITYGW_PATH is unset, and there is no Go to build it`);
  return found;
}
