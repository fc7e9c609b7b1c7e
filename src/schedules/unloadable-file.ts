/**
 * The configuration id of a file that did not load, so its schedule can be left alone: a typo in
 * the file must not delete the monthly close. Its `id:` when the YAML still says one, else the
 * file name, as loading would have chosen.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';

export function idOfUnloadableFile(file: string): string {
  const fromName = path.basename(file).replace(/\.ya?ml$/, '');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return fromName;
  }
  try {
    const raw = parseDocument(text).toJS() as unknown;
    const id = (raw as { id?: unknown } | null)?.id;
    if (typeof id === 'string' && id.trim()) return id.trim();
  } catch {
    // Broken YAML: fall back to a top-level `id:` line.
  }
  const line = /^id:\s*["']?([^"'\s#]+)/m.exec(text);
  return line?.[1] ?? fromName;
}
