import { expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';

export const env = {
  org: process.env.FLEET_UI_ORG ?? '',
  otherOrg: process.env.FLEET_UI_OTHER_ORG ?? '',
  password: process.env.FLEET_UI_PASSWORD ?? '',
  vin: process.env.FLEET_UI_VIN ?? '',
  proposalVehicle: process.env.FLEET_UI_PROPOSAL_VEHICLE ?? '',
  shots: process.env.FLEET_UI_SHOTS ?? 'test-results/screenshots',
};

export const who = {
  manager: () => `manager@${env.org}.invalid`,
  tech: () => `tech@${env.org}.invalid`,
  owner: () => `owner@${env.org}.invalid`,
  otherManager: () => `manager@${env.otherOrg}.invalid`,
};

/// Logs in with the keyboard only: Tab to each field, type, Enter submits.
export async function login(page: Page, email: string) {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Fleet maintenance' })).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Email')).toBeFocused();
  await page.keyboard.type(email);
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Password')).toBeFocused();
  await page.keyboard.type(env.password);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();
}

/// No serious or critical axe-core violation on the page as it is.
export async function accessible(page: Page, what: string) {
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const detail = bad.map(
    (v) =>
      `${v.id} (${v.impact}): ${v.help} — ${v.nodes
        .slice(0, 3)
        .map((n) => n.target.join(' '))
        .join(', ')}`,
  );
  expect(detail, `axe on ${what}`).toEqual([]);
}

/// The page at 1440x900 and at 390x844 (a phone), into the screenshots folder.
export async function screenshots(page: Page, name: string) {
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${env.shots}/${name}-desktop.png` });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${env.shots}/${name}-phone.png` });
  await page.setViewportSize({ width: 1440, height: 900 });
}

/// Presses Tab until the element with `id` has the focus (keyboard-only operation).
export async function tabTo(page: Page, id: string) {
  for (let i = 0; i < 80; i++) {
    if ((await page.evaluate(() => document.activeElement?.id ?? '')) === id) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`#${id} never got the focus with Tab`);
}
