/**
 * A Temporal server on PostgreSQL that looks like a user's fresh cluster (test/helpers/
 * temporal-postgres.ts): the namespace answers, and none of the project's search attributes
 * exist until someone registers them. Needs PostgreSQL installed (Debian's `postgresql`) and the
 * server built (`npx tsx scripts/ensure-temporal-server.ts`).
 */
import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectSearchAttributes } from '../../src/workflows/search-attributes.js';
import { startTemporalOnPostgres, type TemporalOnPostgres } from '../helpers/temporal-postgres.js';

let temporal: TemporalOnPostgres;
let connection: Connection;

beforeAll(async () => {
  temporal = await startTemporalOnPostgres();
  connection = await Connection.connect({ address: temporal.address });
}, 300_000);

afterAll(async () => {
  await connection?.close();
  await temporal?.stop();
});

describe('Temporal on PostgreSQL', () => {
  it('answers for its namespace, persisted in PostgreSQL', async () => {
    const described = await connection.workflowService.describeNamespace({ namespace: temporal.namespace });
    expect(described.namespaceInfo?.name).toBe('default');
    const system = await connection.workflowService.getSystemInfo({});
    expect(system.serverVersion).toBe('1.29.1');
    const cluster = await connection.operatorService.listClusters({});
    expect(cluster.clusters?.[0]?.clusterName).toBe('active');
  });

  it('has no custom search attributes: the project registers its own on a user cluster', async () => {
    const attributes = await connection.operatorService.listSearchAttributes({ namespace: temporal.namespace });
    const custom = Object.keys(attributes.customAttributes ?? {});
    expect(custom).toEqual([]);
    for (const key of projectSearchAttributes) expect(custom).not.toContain(key.name);
    // The system ones are there (it is a working visibility store).
    expect(Object.keys(attributes.systemAttributes ?? {})).toContain('WorkflowType');
  });

  it('comes back after a restart with its namespace', async () => {
    await temporal.restart();
    const again = await Connection.connect({ address: temporal.address });
    try {
      const described = await again.workflowService.describeNamespace({ namespace: temporal.namespace });
      expect(described.namespaceInfo?.name).toBe('default');
    } finally {
      await again.close();
    }
  });
});
