import { z } from 'zod';
import type { PlaidApiError} from './plaid-errors.js';
import { plaidErrors } from './plaid-errors.js';
import { Rng } from './prng.js';
import { rateLimitCode } from './rate-limits.js';

export const faultKinds = [
  'rate_limit', 'internal_error', 'planned_maintenance', 'institution_down', 'mutation_during_pagination', 'timeout', 'latency',
  'no_accounts', 'item_no_accounts', 'access_not_granted', 'product_not_ready', 'additional_consent_required', 'invalid_access_token',
  'invalid_api_keys',
] as const;
export type FaultKind = (typeof faultKinds)[number];

export const faultRuleSchema = z.object({
  /** A Plaid endpoint path such as `/transactions/sync`; omitted or `*` means every Plaid endpoint. */
  endpoint: z.string().optional(),
  kind: z.enum(faultKinds),
  /** Probability per matching call, 0..1. */
  rate: z.number().min(0).max(1).optional(),
  /** Fire on the next N matching calls, then retire the rule. */
  count: z.number().int().min(1).optional(),
  /** timeout: how long to hold the response; latency: delay added. Real milliseconds. */
  delayMs: z.number().int().min(0).optional(),
}).refine((r) => r.rate !== undefined || r.count !== undefined, { message: 'a fault needs rate or count' });

export type FaultRule = z.infer<typeof faultRuleSchema>;

export interface FaultDecision {
  latencyMs: number;
  holdMs: number;
  error: PlaidApiError | null;
}

const DEFAULT_HOLD_MS = 60_000;
const DEFAULT_LATENCY_MS = 250;

interface ActiveRule {
  rule: FaultRule;
  remaining: number | null;
}

/** Injected failures, decided by a PRNG seeded from the simulator seed so runs repeat exactly. */
export class FaultInjector {
  private rules: ActiveRule[] = [];
  private readonly counters = new Map<string, number>();
  private readonly rng: Rng;

  constructor(seed: number) {
    this.rng = new Rng(seed ^ 0xfa017);
  }

  add(rule: FaultRule): void {
    this.rules.push({ rule: { ...rule }, remaining: rule.count ?? null });
  }

  set(rules: FaultRule[]): void {
    this.rules = [];
    for (const rule of rules) this.add(rule);
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return this.rules.map(({ rule, remaining }) => (remaining === null ? { ...rule } : { ...rule, count: remaining }));
  }

  /** Injected faults so far, keyed by error_code (TIMEOUT and LATENCY for the non-error kinds). */
  injected(): Record<string, number> {
    return Object.fromEntries(this.counters);
  }

  resetCounters(): void {
    this.counters.clear();
  }

  count(code: string): void {
    this.counters.set(code, (this.counters.get(code) ?? 0) + 1);
  }

  decide(endpoint: string): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0, holdMs: 0, error: null };
    for (const active of this.rules) {
      const { rule } = active;
      if (rule.endpoint !== undefined && rule.endpoint !== '*' && rule.endpoint !== endpoint) continue;
      if (rule.kind === 'mutation_during_pagination' && endpoint !== '/transactions/sync') continue;
      if (decision.error && rule.kind !== 'latency') continue;
      if (!this.fires(active)) continue;
      if (rule.kind === 'latency') {
        decision.latencyMs += rule.delayMs ?? DEFAULT_LATENCY_MS;
        this.count('LATENCY');
      } else if (rule.kind === 'timeout') {
        decision.holdMs = Math.max(decision.holdMs, rule.delayMs ?? DEFAULT_HOLD_MS);
        this.count('TIMEOUT');
      } else {
        decision.error = errorFor(rule.kind, endpoint);
        this.count(decision.error.errorCode);
      }
    }
    this.rules = this.rules.filter((r) => r.remaining === null || r.remaining > 0);
    return decision;
  }

  private fires(active: ActiveRule): boolean {
    if (active.remaining !== null) {
      if (active.remaining <= 0) return false;
      active.remaining--;
      return true;
    }
    return this.rng.next() < (active.rule.rate ?? 0);
  }
}

function errorFor(kind: Exclude<FaultKind, 'latency' | 'timeout'>, endpoint: string): PlaidApiError {
  switch (kind) {
    case 'rate_limit': return plaidErrors.rateLimit(rateLimitCode(endpoint));
    case 'internal_error': return plaidErrors.internalServerError();
    case 'planned_maintenance': return plaidErrors.plannedMaintenance();
    case 'institution_down': return plaidErrors.institutionDown();
    case 'mutation_during_pagination': return plaidErrors.mutationDuringPagination();
    case 'no_accounts': return endpoint.startsWith('/liabilities/') ? plaidErrors.noLiabilityAccounts() : plaidErrors.noInvestmentAccounts();
    case 'item_no_accounts': return plaidErrors.noAccounts();
    case 'access_not_granted': return plaidErrors.accessNotGranted();
    case 'product_not_ready': return plaidErrors.productNotReady();
    case 'additional_consent_required': return plaidErrors.additionalConsentRequired(endpoint.startsWith('/liabilities') ? 'liabilities' : 'investments');
    case 'invalid_access_token': return plaidErrors.invalidAccessToken();
    case 'invalid_api_keys': return plaidErrors.invalidApiKeys();
  }
}
