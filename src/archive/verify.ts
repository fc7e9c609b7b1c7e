/**
 * Re-proves the archive: every file's bytes hashed again and compared with its manifest. Works on
 * any backend through the ArchiveStore interface; streams, so 5 GB files are fine.
 */
import { createHash } from 'node:crypto';
import type { ArchiveStore } from './store.js';

export interface VerifyFinding {
  key: string;
  status: 'ok' | 'missing' | 'size-mismatch' | 'hash-mismatch' | 'no-manifest';
  detail?: string;
}

export async function verifyArchive(store: ArchiveStore, prefix: string, onFinding?: (f: VerifyFinding) => void): Promise<VerifyFinding[]> {
  const findings: VerifyFinding[] = [];
  const report = (f: VerifyFinding) => {
    findings.push(f);
    onFinding?.(f);
  };
  for await (const key of store.keys(prefix)) {
    const manifest = await store.manifest(key);
    if (!manifest) {
      report({ key, status: 'no-manifest' });
      continue;
    }
    const body = await store.open(key);
    if (!body) {
      report({ key, status: 'missing', detail: `manifest says ${manifest.size} bytes, sha256 ${manifest.sha256}` });
      continue;
    }
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of body) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    const sha256 = hash.digest('hex');
    if (size !== manifest.size) report({ key, status: 'size-mismatch', detail: `${size} bytes, manifest says ${manifest.size}` });
    else if (sha256 !== manifest.sha256) report({ key, status: 'hash-mismatch', detail: `sha256 ${sha256}, manifest says ${manifest.sha256}` });
    else report({ key, status: 'ok' });
  }
  return findings;
}
