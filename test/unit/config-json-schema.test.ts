import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configJsonSchema, configJsonSchemaText } from '../../src/config/json-schema.js';

const dir = path.resolve('schedules');
const examples = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
// Editors know the `email` format; Ajv needs it named (ajv-formats would check more than editors do).
const validate = new Ajv({ allErrors: true, formats: { email: /^[^@\s]+@[^@\s]+$/ } }).compile(configJsonSchema());

describe('schedules/schema.json', () => {
  it('is what `npm run schema` generates now (regenerate it after changing src/config/schema.ts)', () => {
    expect(readFileSync(path.join(dir, 'schema.json'), 'utf8')).toBe(configJsonSchemaText());
  });

  it('has a title and description, and does not require the id (it defaults to the file name)', () => {
    const schema = configJsonSchema();
    expect(schema).toMatchObject({ title: expect.any(String), description: expect.stringContaining('key_env') });
    expect(schema.required).toEqual(['mode']);
    expect(schema.oneOf).toEqual([{ required: ['report'] }, { required: ['query'] }]);
  });

  it.each(examples)('%s references it and validates against it', (file) => {
    const text = readFileSync(path.join(dir, file), 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./schema.json');
    const ok = validate(parse(text));
    expect(ok ? 'valid' : validate.errors).toBe('valid');
  });

  it.each([
    ['a Data API report', { api: 'data', report: 'balance.summary', mode: 'live' }],
    ['a query from a file', { api: 'data', query: { file: 'revenue.sql' }, mode: 'sandbox' }],
    ['an inline query', { api: 'data', query: { sql: 'SELECT 1' }, mode: 'sandbox' }],
  ])('editors accept %s', (_, config) => {
    expect(validate(config) ? 'valid' : validate.errors).toBe('valid');
  });

  it.each([
    ['a wrong mode', { report: 'r', mode: 'prod' }],
    ['an unknown field', { report: 'r', mode: 'live', colour: 'red' }],
    ['a target mixing forms', { report: 'r', mode: 'live', targets: [{ account: 'acct_1', organization: 'aggregated' }] }],
    ['a bad period unit', { report: 'r', mode: 'live', period: 'fortnight' }],
    ['neither report nor query', { mode: 'live' }],
    ['both report and query', { api: 'data', report: 'balance.summary', query: { sql: 'SELECT 1' }, mode: 'live' }],
    ['a query with an unknown field', { api: 'data', query: { sql: 'SELECT 1', dialect: 'trino' }, mode: 'live' }],
    ['an unknown api', { api: 'v3', report: 'r', mode: 'live' }],
  ])('editors flag %s too', (_, config) => {
    expect(validate(config)).toBe(false);
  });
});
