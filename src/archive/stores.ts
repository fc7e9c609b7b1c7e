/**
 * Picks the archive for a configuration: the worker's filesystem archive, or an S3 bucket named
 * in the configuration (credentials from the standard AWS environment of the worker). S3 clients
 * are made once per bucket, prefix and endpoint.
 */
import type { ArchiveSpec } from '../domain/report-job.js';
import { S3Archive, type S3ArchiveOptions } from './s3.js';
import type { ArchiveStore } from './store.js';

export type ArchiveFor = (spec: ArchiveSpec | undefined) => ArchiveStore;

export function createArchiveFor(filesystem: ArchiveStore, s3Defaults: Partial<S3ArchiveOptions> = {}): ArchiveFor {
  const s3 = new Map<string, S3Archive>();
  return (spec) => {
    if (!spec || spec.backend === 'filesystem') return filesystem;
    const id = JSON.stringify([spec.bucket, spec.prefix, spec.region, spec.endpoint, spec.server_side_encryption, spec.kms_key_id]);
    let store = s3.get(id);
    if (!store) {
      store = new S3Archive({
        ...s3Defaults,
        bucket: spec.bucket,
        prefix: spec.prefix,
        region: spec.region ?? s3Defaults.region ?? process.env.AWS_REGION ?? 'us-east-1',
        endpoint: spec.endpoint ?? s3Defaults.endpoint,
        // S3-compatible servers (an endpoint) usually want path-style addressing.
        forcePathStyle: Boolean(spec.endpoint ?? s3Defaults.endpoint) || s3Defaults.forcePathStyle,
        serverSideEncryption: spec.server_side_encryption,
        kmsKeyId: spec.kms_key_id,
      });
      s3.set(id, store);
    }
    return store;
  };
}
