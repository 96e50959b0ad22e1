import { z } from 'zod';

/** Credentials may travel in the body instead of the PLAID-CLIENT-ID / PLAID-SECRET headers. */
export const credentials = {
  client_id: z.string().optional(),
  secret: z.string().optional(),
};

export const withAccessToken = {
  ...credentials,
  access_token: z.string(),
};

export const accountIdsOptions = z.object({ account_ids: z.array(z.string()).optional() }).optional();

export const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date in YYYY-MM-DD format');

export const webhookUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}, 'webhook must be an http(s) URL');
