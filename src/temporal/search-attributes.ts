/**
 * Makes sure the namespace has every search attribute the project sets on its workflows and
 * schedules (a user's cluster has none of them: without them every schedule and run is refused
 * with "no mapping defined for search attribute"). Idempotent, and safe when several workers do
 * it at once. Where the namespace refuses (Temporal Cloud, no permission), stops with the exact
 * commands an operator runs instead.
 */
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { projectSearchAttributes } from '../workflows/search-attributes.js';
import { ConnectionSettingError } from './connection.js';

// @temporalio/proto is CommonJS: its namespaces come through the default export under ESM.
const IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;
type IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;

/** The project's type names to the server's enum and to the CLI's spelling. */
const TYPES: Record<string, { indexed: IndexedValueType; cli: string }> = {
  KEYWORD: { indexed: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD, cli: 'Keyword' },
  DATETIME: { indexed: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME, cli: 'Datetime' },
  TEXT: { indexed: IndexedValueType.INDEXED_VALUE_TYPE_TEXT, cli: 'Text' },
  INT: { indexed: IndexedValueType.INDEXED_VALUE_TYPE_INT, cli: 'Int' },
  DOUBLE: { indexed: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE, cli: 'Double' },
  BOOL: { indexed: IndexedValueType.INDEXED_VALUE_TYPE_BOOL, cli: 'Bool' },
  KEYWORD_LIST: { indexed: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST, cli: 'KeywordList' },
};

export interface SearchAttributeReport {
  /** Attributes this call added. */
  added: string[];
  /** Attributes that were there already. */
  present: string[];
}

/** The command lines an operator runs when the project may not add them itself. */
export function searchAttributeCommands(namespace: string, names = projectSearchAttributes.map((a) => a.name)): string[] {
  const wanted = projectSearchAttributes.filter((a) => names.includes(a.name));
  return [
    ...wanted.map((a) => `temporal operator search-attribute create --namespace ${namespace} --name ${a.name} --type ${TYPES[a.type]!.cli}`),
    `tcld namespace search-attributes add --namespace ${namespace} ${wanted.map((a) => `--search-attribute "${a.name}=${TYPES[a.type]!.cli}"`).join(' ')}`,
  ];
}

async function existing(client: Client, namespace: string): Promise<Map<string, number>> {
  const res = await client.connection.operatorService.listSearchAttributes({ namespace });
  return new Map(Object.entries({ ...res.systemAttributes, ...res.customAttributes }).map(([k, v]) => [k, Number(v)]));
}

function refused(namespace: string, missing: string[], cause: string): ConnectionSettingError {
  const list = projectSearchAttributes
    .filter((a) => missing.includes(a.name))
    .map((a) => `${a.name} (${TYPES[a.type]!.cli})`)
    .join(', ');
  return new ConnectionSettingError(
    `namespace ${namespace} lacks the search attributes ${list} and refused to add them (${cause}). ` +
      `Add them once, then start again:\n  ${searchAttributeCommands(namespace, missing).join('\n  ')}`,
  );
}

export async function ensureSearchAttributes(client: Client, namespace: string): Promise<SearchAttributeReport> {
  let have: Map<string, number>;
  try {
    have = await existing(client, namespace);
  } catch (err) {
    throw refused(namespace, projectSearchAttributes.map((a) => a.name), grpcCause(err));
  }
  const wrongType = projectSearchAttributes.filter((a) => have.has(a.name) && have.get(a.name) !== TYPES[a.type]!.indexed);
  if (wrongType.length > 0) {
    throw new ConnectionSettingError(
      `namespace ${namespace} has ${wrongType.map((a) => `${a.name} with another type than ${TYPES[a.type]!.cli}`).join(', ')}; the project needs that type (rename or remove it)`,
    );
  }
  const missing = projectSearchAttributes.filter((a) => !have.has(a.name));
  const present = projectSearchAttributes.filter((a) => have.has(a.name)).map((a) => a.name);
  if (missing.length === 0) return { added: [], present };
  try {
    await client.connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((a) => [a.name, TYPES[a.type]!.indexed])),
    });
  } catch (err) {
    // Another worker added them at the same moment: fine if they are there now.
    const code = (err as { code?: number }).code;
    if (code !== 6 /* ALREADY_EXISTS */ && code !== 9 /* FAILED_PRECONDITION */) throw refused(namespace, missing.map((a) => a.name), grpcCause(err));
  }
  // The server's cache of the mapping refreshes within seconds; wait until every one is visible.
  const deadline = Date.now() + 30_000;
  for (;;) {
    have = await existing(client, namespace);
    const still = missing.filter((a) => !have.has(a.name));
    if (still.length === 0) return { added: missing.map((a) => a.name), present };
    if (Date.now() > deadline) throw refused(namespace, still.map((a) => a.name), 'added, but still not listed after 30 s');
    await new Promise((r) => setTimeout(r, 500));
  }
}

function grpcCause(err: unknown): string {
  const e = err as { code?: number; details?: string; message?: string };
  const names: Record<number, string> = { 3: 'INVALID_ARGUMENT', 7: 'PERMISSION_DENIED', 12: 'UNIMPLEMENTED', 16: 'UNAUTHENTICATED' };
  return [e.code !== undefined ? (names[e.code] ?? `gRPC ${e.code}`) : undefined, e.details || e.message].filter(Boolean).join(': ');
}
