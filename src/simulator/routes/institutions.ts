import type { Hono } from 'hono';
import { CountryCode } from '../plaid-enums.js';
import type {
  InstitutionsGetByIdRequest, InstitutionsGetByIdResponse, WebhookVerificationKeyGetRequest,
  WebhookVerificationKeyGetResponse,
} from 'plaid';
import { z } from 'zod';
import type { SimulatorContext } from '../context.js';
import { findInstitution } from '../institutions.js';
import { plaidErrors } from '../plaid-errors.js';
import { plaidRoute } from '../plaid-route.js';
import { credentials } from './schemas.js';

const getById = z.object({
  ...credentials,
  institution_id: z.string(),
  country_codes: z.array(z.enum(CountryCode)).min(1),
  options: z.object({
    include_optional_metadata: z.boolean().optional(),
    include_status: z.boolean().optional(),
  }).optional(),
});

const keyGet = z.object({ ...credentials, key_id: z.string() });

export function registerInstitutionRoutes(app: Hono, ctx: SimulatorContext): void {
  plaidRoute<InstitutionsGetByIdRequest, InstitutionsGetByIdResponse>(app, ctx, '/institutions/get_by_id', getById, (req) => {
    const profile = findInstitution(req.institution_id);
    if (!profile || !req.country_codes.some((c) => profile.institution.country_codes.includes(c))) throw plaidErrors.invalidInstitution();
    return { institution: structuredClone(profile.institution) };
  });

  plaidRoute<WebhookVerificationKeyGetRequest, WebhookVerificationKeyGetResponse>(app, ctx, '/webhook_verification_key/get', keyGet, (req) => {
    const key = ctx.signer.publicKey(req.key_id);
    if (!key) throw plaidErrors.invalidWebhookKeyId();
    return { key };
  });
}
