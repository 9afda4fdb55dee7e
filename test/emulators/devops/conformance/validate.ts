// A small strict validator for the definitions in definitions.ts: unknown properties, wrong types,
// formats and enum values are all reported, with the JSON path.
import { DEFINITIONS, Definition, Schema } from './definitions';

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SHA1 = /^[0-9a-f]{40}$/;

function allProperties(name: string): { properties: Record<string, Schema>; required: string[] } {
  const def: Definition | undefined = DEFINITIONS[name];
  if (!def) throw new Error(`no definition ${name}`);
  const base = def.base ? allProperties(def.base) : { properties: {}, required: [] };
  return { properties: { ...base.properties, ...def.properties }, required: [...(def.required ?? base.required)] };
}

export function validateDefinition(name: string, value: unknown, path = '$'): string[] {
  if (name === 'ReferenceLinks') {
    if (!isObject(value)) return [`${path}: expected ReferenceLinks object`];
    return Object.entries(value).flatMap(([k, v]) => validateDefinition('ReferenceLink', v, `${path}.${k}`));
  }
  if (!isObject(value)) return [`${path}: expected ${name} object, got ${JSON.stringify(value)}`];
  const { properties, required } = allProperties(name);
  const problems: string[] = [];
  for (const r of required) if (!(r in value) || value[r] === undefined) problems.push(`${path}.${r}: required by ${name}`);
  for (const [k, v] of Object.entries(value)) {
    const schema = properties[k];
    if (!schema) {
      problems.push(`${path}.${k}: not a property of ${name}`);
      continue;
    }
    problems.push(...validateSchema(schema, v, `${path}.${k}`));
  }
  return problems;
}

export function validateSchema(schema: Schema, value: unknown, path: string): string[] {
  switch (schema.kind) {
    case 'any':
      return [];
    case 'string': {
      if (typeof value !== 'string') return [`${path}: expected string, got ${JSON.stringify(value)}`];
      if (schema.enum && !schema.enum.includes(value)) return [`${path}: '${value}' is not one of ${schema.enum.join(', ')}`];
      if (schema.format === 'date-time' && !DATE_TIME.test(value)) return [`${path}: '${value}' is not a date-time`];
      if (schema.format === 'uuid' && !UUID.test(value)) return [`${path}: '${value}' is not a uuid`];
      if (schema.format === 'sha1' && !SHA1.test(value)) return [`${path}: '${value}' is not an object id`];
      return [];
    }
    case 'integer':
      return Number.isInteger(value) ? [] : [`${path}: expected integer, got ${JSON.stringify(value)}`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path}: expected boolean, got ${JSON.stringify(value)}`];
    case 'array':
      if (!Array.isArray(value)) return [`${path}: expected array`];
      return value.flatMap((v, i) => validateSchema(schema.items, v, `${path}[${i}]`));
    case 'map':
      if (value === null) return [];
      if (!isObject(value)) return [`${path}: expected object map`];
      return Object.entries(value).flatMap(([k, v]) => validateSchema(schema.values, v, `${path}.${k}`));
    case 'ref':
      if (value === null) return schema.nullable ? [] : [`${path}: null where ${schema.name} is expected`];
      return validateDefinition(schema.name, value, path);
  }
}

export function validateCollection(name: string, body: unknown): string[] {
  if (!isObject(body)) return ['$: expected { count, value }'];
  const problems: string[] = [];
  if (!Number.isInteger(body.count)) problems.push('$.count: expected integer');
  if (!Array.isArray(body.value)) return [...problems, '$.value: expected array'];
  if (body.count !== body.value.length) problems.push(`$.count: ${String(body.count)} but ${body.value.length} values`);
  for (const k of Object.keys(body)) if (k !== 'count' && k !== 'value') problems.push(`$.${k}: not part of a collection`);
  body.value.forEach((v, i) => problems.push(...validateDefinition(name, v, `$.value[${i}]`)));
  return problems;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
