/** `reports status [config]`: recent and running periods with their state, read from Temporal. */
import type { Client } from '@temporalio/client';
import type { Settings } from '../settings.js';
import { ReportConfigAttribute, ReportPeriodAttribute } from '../workflows/search-attributes.js';
import { withClient } from './connect.js';
import { table } from './table.js';

export async function listFirings(client: Client, configId: string | undefined, limit: number) {
  // Firings only (report/<config>/<period>), not their per-target children.
  const query = [`WorkflowType = 'reportWorkflow'`, configId ? `ReportConfig = '${configId.replaceAll("'", '')}'` : ''].filter(Boolean).join(' AND ');
  const rows: { workflowId: string; config: string; period: string; status: string; started: string; closed: string }[] = [];
  for await (const wf of client.workflow.list({ query })) {
    const attrs = wf.typedSearchAttributes;
    rows.push({
      workflowId: wf.workflowId,
      config: attrs.get(ReportConfigAttribute) ?? wf.workflowId.split('/')[1] ?? '',
      period: attrs.get(ReportPeriodAttribute) ?? '(settling)',
      status: wf.status.name,
      started: wf.startTime.toISOString().slice(0, 19).replace('T', ' '),
      closed: wf.closeTime ? wf.closeTime.toISOString().slice(0, 19).replace('T', ' ') : '',
    });
    if (rows.length >= limit) break;
  }
  return rows;
}

export async function statusCommand(settings: Settings, configId: string | undefined, out: (line: string) => void): Promise<number> {
  return withClient(settings, async (client) => {
    const rows = await listFirings(client, configId, 50);
    if (rows.length === 0) {
      out(configId ? `no runs of ${configId} yet` : 'no runs yet');
      return 0;
    }
    out(table(['config', 'period', 'state', 'started (UTC)', 'closed (UTC)', 'workflow'], rows.map((r) => [r.config, r.period, r.status, r.started, r.closed, r.workflowId])));
    return 0;
  });
}
