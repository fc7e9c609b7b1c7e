/** Queries that answer within a bound or not at all: `reports status` must not hang on a workflow no worker serves. */
import type { Client } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';

/** Throws when no worker answered within `ms`, or the workflow cannot answer (gone, or no such query). */
export async function queryWithin<R>(client: Client, workflowId: string, query: QueryDefinition<R, []>, ms: number): Promise<R> {
  // Aborted, not abandoned: the client would otherwise keep retrying it after the command closes.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), ms);
  try {
    return await client.connection.withAbortSignal(abort.signal, () => client.workflow.getHandle(workflowId).query(query));
  } finally {
    clearTimeout(timer);
  }
}
