import path from 'node:path';
import type { Config } from '../config/load-config.js';
import { DEV_SECRETS_FILE, type DevSecrets } from '../config/dev-secrets.js';

export interface BannerInput {
  config: Config;
  /** The simulator-mode secrets in DATA_DIR; a value set in the environment instead is not printed. */
  devSecrets: DevSecrets;
  url: string;
  simulatorUrl: string | undefined;
}

/**
 * What a person needs after `npm start` in simulator mode, printed once the service is ready on every
 * start (an interrupted first start must not lose the password): where to go and how to get in.
 */
export function startupBanner({ config, devSecrets, url, simulatorUrl }: BannerInput): string {
  const password = config.adminPassword === devSecrets.adminPassword ? devSecrets.adminPassword : '(the one in ADMIN_PASSWORD)';
  const token = config.apiTokens[0] === devSecrets.apiToken ? devSecrets.apiToken : '(one of API_TOKENS)';
  const lines = [
    '',
    'plaid-sync is ready, in simulator mode (a built-in Plaid with made-up banks; no real data):',
    `  admin page   ${url}/admin   password: ${password}`,
    `  REST API     ${url}/api   token: ${token}   (reference: ${url}/api/openapi.json)`,
    ...(simulatorUrl ? [`  simulator    ${simulatorUrl}   (the Plaid API the service calls)`] : []),
    `  secrets      ${path.join(config.dataDir, DEV_SECRETS_FILE)}`,
    'Stop with Ctrl+C.',
    '',
  ];
  return lines.join('\n');
}
