import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { expect } from 'vitest';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless Debian Chromium, launched as every browser test launches it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium or set CHROMIUM_PATH`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * The simulated Link page as a person uses it: a wrong password first (refused), then the right one.
 * With an institution it links and returns the public token it shows; with `null` it is update mode
 * (Fix Connection) and returns null once the page says the connection is repaired.
 */
export async function completeLinkPage(browser: Browser, url: string, institution: string | null): Promise<string | null> {
  const page = await browser.newPage();
  try {
    await page.goto(url);
    if (institution !== null) await page.getByRole('link', { name: institution }).click();
    await page.fill('#username', 'user_good');
    await page.fill('#password', 'pass_bad');
    await page.getByRole('button', { name: 'Submit' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('credentials were not correct');
    await page.fill('#password', 'pass_good');
    await page.getByRole('button', { name: 'Submit' }).click();
    if (institution === null) {
      await page.getByRole('heading', { name: 'Connection repaired' }).waitFor();
      return null;
    }
    await page.getByRole('button', { name: 'Continue' }).click();
    return (await page.locator('#public-token').textContent())?.trim() ?? null;
  } finally {
    await page.close();
  }
}
