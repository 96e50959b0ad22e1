import type { Context } from 'hono';
import { AppError } from './errors.js';

/** A form's fields by name; a Map, so names such as `__proto__` are only names. */
export type FormFields = Map<string, string>;

/**
 * An `application/x-www-form-urlencoded` body, parsed only when it has at most `maxFields` fields
 * (413 otherwise): the fields are counted before anything is decoded, so two million empty fields
 * cost one pass over a body that the body limit already bounded. Other content types read as an
 * empty form; no admin form is sent as multipart, so no multipart parser runs on untrusted input.
 */
export async function readForm(c: Context, maxFields: number): Promise<FormFields> {
  const fields: FormFields = new Map();
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) return fields;
  const text = await c.req.text();
  if (text === '') return fields;
  let count = 1;
  for (let at = text.indexOf('&'); at !== -1; at = text.indexOf('&', at + 1)) {
    if (++count > maxFields) throw new AppError(413, 'too_many_fields', `forms are limited to ${maxFields} fields`);
  }
  // Repeated names keep the last value, as hono's parseBody does.
  for (const [name, value] of new URLSearchParams(text)) fields.set(name, value);
  return fields;
}
