import { defineConfig } from '@playwright/test';

// Run by scripts/ui-test.sh against a private seeded platform; Debian's Chromium, never
// a downloaded browser.
export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: process.env.FLEET_UI_URL ?? 'http://127.0.0.1:8007',
    viewport: { width: 1440, height: 900 },
    launchOptions: { executablePath: process.env.FLEET_CHROMIUM ?? '/usr/bin/chromium' },
    trace: 'off',
  },
});
