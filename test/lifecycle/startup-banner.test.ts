import { describe, expect, it } from 'vitest';
import type { DevSecrets } from '../../src/config/dev-secrets.js';
import { startupBanner } from '../../src/lifecycle/startup-banner.js';
import { testConfig } from '../support/app.js';

const secrets: DevSecrets = {
  tokenEncryptionKey: 'dev:key',
  apiToken: 'dev_token_0123456789',
  adminPassword: 'generated-password',
  plaidClientId: 'sim_client',
  plaidSecret: 'sim_secret',
};

describe('the simulator-mode banner', () => {
  it('gives the admin page with its password, the API with its token, the simulator and the secrets file', () => {
    const config = testConfig({ dataDir: '/srv/plaid', adminPassword: secrets.adminPassword, apiTokens: [secrets.apiToken] });
    const banner = startupBanner({ config, devSecrets: secrets, url: 'http://127.0.0.1:3000', simulatorUrl: 'http://127.0.0.1:4010' });
    expect(banner).toContain('admin page   http://127.0.0.1:3000/admin   password: generated-password');
    expect(banner).toContain('REST API     http://127.0.0.1:3000/api   token: dev_token_0123456789');
    expect(banner).toContain('simulator    http://127.0.0.1:4010');
    expect(banner).toContain('secrets      /srv/plaid/dev-secrets.json');
    expect(banner).not.toContain(secrets.plaidSecret);
    expect(banner).not.toContain(secrets.tokenEncryptionKey);
  });

  it('never prints a password or token the operator set in the environment', () => {
    const config = testConfig({ adminPassword: 'operator-chosen', apiTokens: ['operator-token-0123456789'] });
    const banner = startupBanner({ config, devSecrets: secrets, url: 'http://127.0.0.1:3000', simulatorUrl: undefined });
    expect(banner).not.toContain('operator-chosen');
    expect(banner).not.toContain('operator-token');
    expect(banner).toContain('password: (the one in ADMIN_PASSWORD)');
    expect(banner).not.toContain('simulator    ');
  });
});
