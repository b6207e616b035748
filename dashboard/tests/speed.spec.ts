// Speed in the browser: first contentful paint of the dashboard, the time from login to
// the overview's figures, and the at-risk list with 10,000 vehicles (rows made up in
// the browser: the API answers at most 1,000) staying responsive. Figures are printed
// as `speed: name=value` lines (docs/benchmarks.md).
import { expect, test } from '@playwright/test';
import { login, who } from './fixtures';

const report = (name: string, value: number | string) => console.log(`speed: ${name}=${value}`);

test('first paint and the overview', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByLabel('Email')).toBeVisible();
  const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1);
  const nav = await page.evaluate(() => {
    const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    return n ? n.domContentLoadedEventEnd : -1;
  });
  report('first_contentful_paint_ms', fcp.toFixed(0));
  report('dom_content_loaded_ms', nav.toFixed(0));
  expect(fcp).toBeGreaterThan(0);
  expect(fcp, 'first meaningful paint under 1 s on localhost').toBeLessThan(1000);
  const started = Date.now();
  await login(page, who.manager());
  await expect(page.getByText('Needing attention')).toBeVisible();
  report('login_to_overview_figures_ms', Date.now() - started);
});

test('the at-risk list with 10,000 vehicles stays responsive', async ({ page }) => {
  const vehicles = Array.from({ length: 10_000 }, (_, i) => ({
    vehicle_id: `SIM-${String(i + 1).padStart(6, '0')}`,
    org_id: 'sim',
    overall_band: i < 500 ? 'critical' : 'poor',
    overall_score: Math.min(0.39, i / 25_000),
    worst_component: 'brakes',
    worst_band: 'poor',
    min_rul_days: 1 + i / 100,
    computed_at: new Date().toISOString(),
  }));
  await page.route('**/v1/metrics/attention?**', (r) => r.fulfill({ json: { vehicles } }));
  await login(page, who.manager());
  const started = Date.now();
  await expect(page.getByText('10000 vehicles, most urgent first')).toBeVisible();
  await expect(page.getByRole('link', { name: 'SIM-000001' })).toBeVisible();
  report('at_risk_10k_render_ms', Date.now() - started);
  const rows = await page.locator('.vrow').count();
  report('at_risk_10k_dom_rows', rows);
  expect(rows, 'virtualized: a screenful of rows in the DOM, not 10,000').toBeLessThan(60);
  // Scroll to the end: the last vehicle appears within a frame or two.
  const scroll = await page.evaluate(async () => {
    const list = document.querySelector('.vlist');
    if (!list) return -1;
    const t0 = performance.now();
    list.scrollTop = list.scrollHeight;
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return performance.now() - t0;
  });
  await expect(page.getByRole('link', { name: 'SIM-010000' })).toBeVisible();
  report('at_risk_10k_scroll_to_end_ms', scroll.toFixed(1));
  expect(scroll).toBeLessThan(200);
});

test('the map with 10,000 vehicles: clustered, drawn in well under a second', async ({ page }) => {
  // Made-up positions across the continental US (the seeded fleet has four).
  const vehicles = Array.from({ length: 10_000 }, (_, i) => ({
    vehicle_id: `SIM-${String(i + 1).padStart(6, '0')}`,
    org_id: 'sim',
    overall_band: ['excellent', 'good', 'fair', 'poor', 'critical'][i % 5],
    lat: 30 + ((i * 7919) % 1800) / 100,
    lon: -120 + ((i * 104729) % 4500) / 100,
    at: new Date().toISOString(),
  }));
  await page.route('**/api/health/v1/fleet/positions?**', (r) => r.fulfill({ json: { vehicles } }));
  await login(page, who.manager());
  const started = Date.now();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Map' }).click();
  await expect(page.getByText('10000 vehicles with a GPS fix')).toBeVisible();
  await expect(page.locator('.map canvas').first()).toBeVisible();
  report('map_10k_render_ms', Date.now() - started);
  // Zooming in redraws the clusters: the page stays responsive (a frame after).
  const zoom = await page.evaluate(async () => {
    const t0 = performance.now();
    (document.querySelector('.leaflet-control-zoom-in') as HTMLElement | null)?.click();
    await new Promise((r) => setTimeout(r, 400)); // the zoom animation
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return performance.now() - t0 - 400;
  });
  report('map_10k_zoom_redraw_ms', zoom.toFixed(1));
  expect(zoom).toBeLessThan(500);
});
