import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { type ZodType, prettifyError } from 'zod';

/**
 * Reads one content file (.json, .yaml or .yml) and validates it with its zod
 * schema. Health staff edit these files: every error names the file and says
 * what is wrong in it.
 */
export function loadContent<T>(file: string, schema: ZodType<T>): T {
  let raw: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    raw = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new Error(`${file}: ${prettifyError(parsed.error)}`);
  return parsed.data;
}
