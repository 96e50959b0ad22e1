import type { Browser } from 'playwright-core';
import { expect } from 'vitest';

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
