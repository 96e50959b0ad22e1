import type { Hono } from 'hono';
import { CountryCode, Products } from '../plaid-enums.js';
import type {
  InstitutionsGetByIdRequest, InstitutionsGetByIdResponse, InstitutionsGetRequest, InstitutionsGetResponse, WebhookVerificationKeyGetRequest,
  WebhookVerificationKeyGetResponse,
} from 'plaid';
import { z } from 'zod';
import type { SimulatorContext } from '../context.js';
import { allInstitutions, findInstitution } from '../institutions.js';
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

const list = z.object({
  ...credentials,
  count: z.number().int().min(1).max(500),
  offset: z.number().int().min(0),
  country_codes: z.array(z.enum(CountryCode)).min(1),
  options: z.object({
    products: z.array(z.enum(Products)).nullish(),
    routing_numbers: z.array(z.string()).nullish(),
    oauth: z.boolean().nullish(),
    include_optional_metadata: z.boolean().optional(),
    include_auth_metadata: z.boolean().optional(),
    include_payment_initiation_metadata: z.boolean().optional(),
  }).optional(),
});

const keyGet = z.object({ ...credentials, key_id: z.string() });

export function registerInstitutionRoutes(app: Hono, ctx: SimulatorContext): void {
  plaidRoute<InstitutionsGetByIdRequest, InstitutionsGetByIdResponse>(app, ctx, '/institutions/get_by_id', getById, (req) => {
    const profile = findInstitution(req.institution_id);
    if (!profile || !req.country_codes.some((c) => profile.institution.country_codes.includes(c))) throw plaidErrors.invalidInstitution();
    return { institution: structuredClone(profile.institution) };
  });

  // The service's start-up check of its credentials asks for one institution.
  plaidRoute<InstitutionsGetRequest, InstitutionsGetResponse>(app, ctx, '/institutions/get', list, (req) => {
    const products = req.options?.products ?? [];
    const matching = allInstitutions().filter(({ institution }) =>
      req.country_codes.some((c) => institution.country_codes.includes(c)) && products.every((p) => institution.products.includes(p)));
    return { institutions: matching.slice(req.offset, req.offset + req.count).map((p) => structuredClone(p.institution)), total: matching.length };
  });

  plaidRoute<WebhookVerificationKeyGetRequest, WebhookVerificationKeyGetResponse>(app, ctx, '/webhook_verification_key/get', keyGet, (req) => {
    const key = ctx.signer.publicKey(req.key_id);
    if (!key) throw plaidErrors.invalidWebhookKeyId();
    return { key };
  });
}
