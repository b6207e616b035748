import { type APIRequestContext, expect, test } from '@playwright/test';
import { accessible, env, login, screenshots, tabTo, who } from './fixtures';

test.describe.configure({ mode: 'serial' });

type Proposal = {
  job: { skill: string; duration_minutes: number };
  options: { center_id: string; technician_id: string; starts_at: string }[];
};

async function tokenOf(request: APIRequestContext, email: string): Promise<string> {
  const r = await request.post('/v1/auth/login', { data: { email, password: env.password } });
  return ((await r.json()) as { access_token: string }).access_token;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

test('login page: accessible, wrong password answered in words', async ({ page }) => {
  await page.goto('/');
  await accessible(page, 'the login page');
  await page.getByLabel('Email').fill(who.manager());
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toContainText('Wrong email or password');
  await screenshots(page, 'login');
});

test('fleet manager: overview of their fleet only, live feed, acknowledge with the keyboard', async ({ page }) => {
  await login(page, who.manager());
  await expect(page.getByRole('heading', { name: 'Fleet overview' })).toBeVisible();
  await expect(page.getByText('Vehicles', { exact: true })).toBeVisible();
  await expect(page.getByText('● Live')).toBeVisible();
  // Their organization's vehicles, nothing of another's.
  const feed = page.getByRole('region', { name: 'Alert feed' });
  await expect(feed.getByRole('link', { name: /^VH-0000\d\d$/ }).first()).toBeVisible();
  await expect(page.getByText(env.otherOrg)).toHaveCount(0);
  await accessible(page, 'the fleet overview');
  await screenshots(page, 'overview');

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
  await expect(page.getByRole('heading', { name: 'Alerts', exact: true })).toBeVisible();
  const ack = page.getByRole('button', { name: /^Acknowledge / });
  await expect(ack.first()).toBeVisible();
  const label = await ack.first().getAttribute('aria-label');
  await accessible(page, 'the alerts list');
  await screenshots(page, 'alerts');
  // Keyboard only: Tab until the first Acknowledge button has the focus, then Enter.
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '');
    if (focused === label) break;
  }
  await expect(page.getByRole('button', { name: label ?? '' }).first()).toBeFocused();
  await page.keyboard.press('Enter');
  // Acknowledged: its button is gone (from the review queue too, when it was there).
  await expect(page.getByRole('button', { name: label ?? '' })).toHaveCount(0);
});

test('the alert feed is live: a change made elsewhere shows without a reload', async ({ page, request }) => {
  await login(page, who.manager());
  await expect(page.getByText('● Live')).toBeVisible();
  // Someone else (the same manager in another session) resolves an alert.
  const session = await request.post('/v1/auth/login', { data: { email: who.manager(), password: env.password } });
  const token = ((await session.json()) as { access_token: string }).access_token;
  const headers = { authorization: `Bearer ${token}` };
  const list = await request.get('/api/alert/v1/alerts?limit=15', { headers });
  const alerts = ((await list.json()) as { alerts: { alert_id: string; title: string; status: string }[] }).alerts;
  const target = alerts.find((a) => a.status !== 'resolved');
  expect(target, 'an alert not resolved yet').toBeDefined();
  const item = page
    .getByRole('region', { name: 'Alert feed' })
    .getByRole('listitem')
    .filter({ hasText: target?.title ?? '' });
  await expect(item).not.toContainText('resolved');
  const resolved = await request.post(`/api/alert/v1/alerts/${target?.alert_id}/resolve`, {
    headers,
    data: { resolution: 'fixed on the road' },
  });
  expect(resolved.status()).toBe(200);
  await expect(item).toContainText('· resolved ·', { timeout: 10_000 });
});

test('fleet manager: a vehicle with its components, history and decisions', async ({ page }) => {
  await login(page, who.manager());
  await page.goto('/vehicles/VH-000001');
  await expect(page.getByRole('heading', { name: 'Vehicle VH-000001' })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Component health' })).toBeVisible();
  await expect(page.getByRole('img', { name: /Component health of VH-000001/ })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Decisions' }).locator('summary').first()).toBeVisible();
  await accessible(page, 'the vehicle page');
  await screenshots(page, 'vehicle');
});

test('owner: only their vehicles; approves a proposed appointment; files a claim', async ({ page, request }) => {
  await login(page, who.owner());
  await expect(page.getByRole('heading', { name: 'My vehicles' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'VH-000001' }).first()).toBeVisible();
  const others = ['VH-000002', 'VH-000003', 'VH-000004'].filter((v) => v !== env.proposalVehicle);
  for (const v of others) await expect(page.getByRole('link', { name: v, exact: true })).toHaveCount(0);
  await accessible(page, "the owner's vehicles");
  await screenshots(page, 'owner');

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Scheduling' }).click();
  expect(env.proposalVehicle, 'the seeded fleet has a proposal to approve').not.toBe('');
  const choose = page.getByRole('button', { name: 'Choose option 1' }).first();
  await expect(choose).toBeVisible();
  await accessible(page, 'the scheduling page');
  await screenshots(page, 'scheduling');
  // Options are offers, not reservations: critical work of another vehicle takes the
  // first option's slot before the owner chooses. The owner is told, and offered what
  // is free now.
  const [owner, manager] = await Promise.all([tokenOf(request, who.owner()), tokenOf(request, who.manager())]);
  const open = await request.get('/api/scheduling/v1/proposals?status=open', { headers: bearer(owner) });
  const [first] = (await open.json()) as Proposal[];
  const slot = first?.options[0];
  expect(slot, 'the first proposal has options').toBeDefined();
  const taken = await request.post('/api/scheduling/v1/appointments', {
    headers: bearer(manager),
    data: {
      vehicle_id: 'VH-009999',
      center_id: slot?.center_id,
      technician_id: slot?.technician_id,
      starts_at: slot?.starts_at,
      skill: first?.job.skill,
      duration_minutes: first?.job.duration_minutes,
      title: 'emergency of another vehicle',
    },
  });
  // 409: critical work booked since the proposal took it already, just as well.
  expect([201, 409], await taken.text()).toContain(taken.status());
  await choose.click();
  await expect(page.getByRole('alert')).toContainText('taken meanwhile');
  await page.getByRole('button', { name: 'Choose option 1' }).first().click();
  await expect(page.getByRole('status')).toContainText('Booked:');

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Warranty' }).click();
  const form = page.getByRole('form', { name: 'File a warranty claim' });
  await expect(form).toBeVisible();
  // Keyboard only: Tab to each field and type; the vehicle (VH-000001) and the failure
  // date (today) keep their defaults; Enter in the last field submits.
  const fields: [string, string][] = [
    ['c-vin', env.vin],
    ['c-component', 'brakes'],
    ['c-odo', '21000'],
    ['c-desc', 'Brake pads worn to the backing plate, grinding noise.'],
    ['c-shop', 'Corner garage'],
    ['c-parts', '240'],
    ['c-labour', '1.5'],
  ];
  for (const [id, text] of fields) {
    await tabTo(page, id);
    await page.keyboard.type(text);
  }
  await expect(form.getByLabel('Failed component')).toHaveValue('brakes');
  await page.keyboard.press('Enter');
  await expect(form.getByRole('status')).toContainText('Claim filed');
  await accessible(page, 'the warranty page');
  await screenshots(page, 'warranty-owner');
});

test('fleet manager reviews a claim: score and signals, then decides', async ({ page }) => {
  await login(page, who.manager());
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Warranty' }).click();
  const queue = page.getByRole('region', { name: 'Claims waiting for review' });
  const claim = queue.getByRole('article').first();
  await expect(claim).toContainText('Fraud score');
  // Beside the signals, the similar past claims with their similarity: the seeded
  // claims of VH-000001 and VH-000002 tell the same story.
  await expect(claim.getByRole('heading', { name: 'Fraud signals' })).toBeVisible();
  await expect(claim.getByRole('heading', { name: 'Similar past claims' })).toBeVisible();
  const similar = queue.getByRole('list', { name: 'Similar past claims' }).first().getByRole('listitem').first();
  await expect(similar).toContainText(/^\d+ % similar: VH-00000[12] · cooling · failed \d{4}-\d\d-\d\d/);
  await accessible(page, 'the review queue');
  await screenshots(page, 'warranty-review');
  // The evidence pack opens as a PDF in a new tab.
  const [pdf] = await Promise.all([page.waitForEvent('popup'), claim.getByRole('button', { name: 'Evidence PDF' }).click()]);
  await expect.poll(() => pdf.url()).toMatch(/^blob:/);
  await pdf.close();
  const count = await queue.getByRole('article').count();
  await claim.getByRole('button', { name: 'Approve' }).click();
  await expect(queue.getByRole('status')).toContainText(/approved|paid|closed/);
  await expect(queue.getByRole('article')).toHaveCount(count - 1);
});

test('technician: the job list of their center; starts and completes the work order', async ({ page }) => {
  await login(page, who.tech());
  await expect(page.getByRole('heading', { name: 'My jobs' })).toBeVisible();
  await expect(page.getByRole('cell', { name: /Ui check/ })).toBeVisible();
  await accessible(page, "the technician's jobs");
  await screenshots(page, 'jobs');
  const row = page.getByRole('row', { name: /Ui check/ });
  await row.getByRole('button', { name: 'Start work' }).click();
  // The work order completed: the job is done.
  await row.getByRole('button', { name: 'Complete' }).click();
  await expect(row.getByRole('cell', { name: 'completed' })).toBeVisible();
});

test("another organization's manager sees none of it", async ({ page }) => {
  await login(page, who.otherManager());
  await expect(page.getByRole('heading', { name: 'Fleet overview' })).toBeVisible();
  await expect(page.getByText('No vehicle needs attention.')).toBeVisible();
  await expect(page.getByText('No alerts.')).toBeVisible();
  await expect(page.getByText(/VH-0000\d\d/)).toHaveCount(0);
  await page.goto('/vehicles/VH-000001');
  await expect(page.getByRole('alert').first()).toContainText('Not found');
});

test('an expired session says so and asks to log in again', async ({ page }) => {
  await login(page, who.manager());
  // The refresh token is revoked meanwhile and the access token refused.
  await page.evaluate(() => sessionStorage.setItem('fleet.refresh', 'revoked'));
  await page.route('**/api/alert/v1/alerts?**', (r) => r.fulfill({ status: 401, body: '{"code":"unauthorized","message":"expired"}' }));
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
  await expect(page.getByRole('status')).toContainText('Your session has expired. Please log in again.');
  await expect(page.getByLabel('Email')).toBeVisible();
});

test('a service that is down is named, the rest of the page works', async ({ page }) => {
  await login(page, who.manager());
  await page.route('**/api/agent/**', (r) =>
    r.fulfill({
      status: 502,
      contentType: 'application/json',
      body: '{"code":"bad_gateway","message":"the agent service does not answer; try again shortly"}',
    }),
  );
  await page.goto('/vehicles/VH-000001');
  await expect(page.getByRole('alert').filter({ hasText: 'Decisions could not be loaded' })).toContainText('agent service is unavailable');
  await expect(page.getByRole('table', { name: 'Component health' })).toBeVisible();
});

test('fleet manager: the map and the audit log', async ({ page }) => {
  await login(page, who.manager());
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Map' }).click();
  // The seeded vehicles all have positions; drawn on a canvas (countries and circles).
  await expect(page.getByText(/^[1-9]\d* vehicles with a GPS fix/)).toBeVisible();
  await expect(page.locator('.map canvas').first()).toBeVisible();
  await accessible(page, 'the map');
  await screenshots(page, 'map');

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
  await expect(page.getByRole('table', { name: 'Audit entries' })).toContainText('vehicle.telemetry.received');
  await page.getByRole('button', { name: 'Verify the chain' }).click();
  await expect(page.getByRole('status')).toContainText(/^Intact: \d+ entries/);
  await accessible(page, 'the audit log');
  await screenshots(page, 'audit');
});

test('fleet manager: reports to download, a person invited and disabled', async ({ page }) => {
  await login(page, who.manager());
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
  await expect(page.getByRole('heading', { name: 'Administration' })).toBeVisible();
  const reports = page.getByRole('region', { name: 'Reports', exact: true });
  const [pdf] = await Promise.all([page.waitForEvent('download'), reports.getByRole('button', { name: 'PDF' }).first().click()]);
  expect(pdf.suggestedFilename()).toBe('fleet_health-30d.pdf');
  const bytes = await (await import('node:fs/promises')).readFile((await pdf.path()) ?? '');
  expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');

  const email = `new-tech-${Date.now()}@${env.org}.invalid`;
  const form = page.getByRole('form', { name: 'Invite a person' });
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Name').fill('Nina New');
  await form.getByLabel('Role').selectOption('technician');
  await form.getByRole('button', { name: 'Invite' }).click();
  await expect(form.getByRole('status')).toContainText(`Invitation sent to ${email}`);
  await page.getByRole('button', { name: `Disable ${email}` }).click();
  await expect(page.getByRole('button', { name: `Enable ${email}` })).toBeVisible();

  // A report by email every Monday; the schedule is listed, and stopped again.
  const byEmail = page.getByRole('region', { name: 'Reports by email' });
  const plan = byEmail.getByRole('form', { name: 'Schedule a report by email' });
  await plan.getByLabel('Report').selectOption('alerts');
  await plan.getByLabel('Every').selectOption('weekly');
  await plan.getByRole('button', { name: 'Schedule' }).click();
  await expect(byEmail.getByRole('status')).toContainText('Scheduled: the first alerts report');
  const stop = byEmail.getByRole('button', { name: 'Stop the weekly alerts report' });
  await expect(stop).toHaveCount(1);
  await expect(byEmail.getByRole('table', { name: 'Reports scheduled by email' })).toContainText('weekly');
  // A gateway's device key: its secret shown once, then listed by prefix, and revoked.
  const keys = page.getByRole('region', { name: 'Device keys' });
  const gateway = `GW-${Date.now()}`;
  const keyForm = keys.getByRole('form', { name: 'Create a device key' });
  await keyForm.getByLabel('Gateway').fill(gateway);
  await keyForm.getByLabel(/^Vehicles/).fill('VH-000001, VH-000002');
  await keyForm.getByRole('button', { name: 'Create key' }).click();
  await expect(keys.getByRole('status')).toContainText(`Key for ${gateway}: fk_`);
  const row = keys.getByRole('row').filter({ hasText: gateway });
  await expect(row).toContainText('VH-000001, VH-000002');
  await accessible(page, 'the administration page');
  await screenshots(page, 'admin');
  await row.getByRole('button', { name: `Revoke ${gateway}` }).click();
  await expect(row).toContainText('revoked');
  await stop.click();
  await expect(stop).toHaveCount(0);
  await expect(byEmail.getByText('No report is scheduled for you.')).toBeVisible();
});

test('fleet manager: the appointments calendar of a center, a week at a time', async ({ page }) => {
  await login(page, who.manager());
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Scheduling' }).click();
  const cal = page.getByRole('region', { name: 'Appointments calendar' });
  await cal.getByLabel('Service center').selectOption({ label: 'Ui hub' });
  await expect(cal.getByText(/^Week of .*: \d+ appointments$/)).toBeVisible();
  // The seeded check of VH-000001 is a week from today, so in next week's calendar.
  await cal.getByRole('button', { name: 'Next week' }).click();
  const week = cal.getByRole('group', { name: 'Week calendar' });
  await expect(week.getByRole('listitem').filter({ hasText: 'Ui check' })).toContainText('VH-000001');
  await expect(week.getByRole('region')).toHaveCount(7);
  await accessible(page, 'the appointments calendar');
  await screenshots(page, 'calendar');
  await cal.getByRole('button', { name: 'This week' }).click();
  await expect(week.getByRole('listitem').filter({ hasText: 'Ui check' })).toHaveCount(0);
});

test('fleet manager: the review queue; overrides an escalated decision, confirms another', async ({ page, request }) => {
  await login(page, who.manager());
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
  const queue = page.getByRole('region', { name: /^Review queue/ });
  await expect(queue).toBeVisible();
  const items = queue.getByRole('listitem');
  await expect(items.first(), 'the seeded fleet has an escalated decision').toBeVisible();
  const waiting = await items.count();
  const first = items.first();
  const label = (await first.getAttribute('aria-label')) ?? '';
  await first.locator('summary').click();
  await expect(first.getByText(/Failure mode/)).toBeVisible();
  await accessible(page, 'the review queue');
  await screenshots(page, 'review-queue');
  // Override: another severity and a diagnosis, with the reviewer's note.
  const form = first.getByRole('form');
  const severity = form.getByLabel('Severity');
  const current = await severity.inputValue();
  await severity.selectOption(current === 'critical' ? 'high' : 'critical');
  await form.getByLabel(/^Diagnosis/).fill('Worn beyond the limit on inspection; replace now.');
  await expect(form.getByRole('button', { name: "Confirm the agent's decision" })).toBeDisabled();
  await form.getByLabel('Note').fill('Seen on the yard this morning');
  await form.getByRole('button', { name: 'Override' }).click();
  await expect(queue.getByRole('status')).toContainText(`${label.replace('Review of ', 'Reviewed ')}: overridden`);

  // The override is the vehicle's current decision: the agent lists the review as
  // overridden, with the decision that replaced it.
  const token = await tokenOf(request, who.manager());
  const done = await request.get('/api/agent/v1/reviews?status=overridden', { headers: bearer(token) });
  const reviews = ((await done.json()) as { reviews: { vehicle_id: string; component: string; superseded_by?: string }[] }).reviews;
  const overridden = reviews.find((r) => label === `Review of ${r.vehicle_id} ${r.component}`);
  expect(overridden?.superseded_by, `${label} is overridden`).toBeTruthy();

  if (waiting > 1) {
    await page.reload();
    const next = page
      .getByRole('region', { name: /^Review queue/ })
      .getByRole('listitem')
      .first();
    await next.locator('summary').click();
    await next.getByRole('button', { name: "Confirm the agent's decision" }).click();
    await expect(page.getByRole('region', { name: /^Review queue/ }).getByRole('status')).toContainText(': confirmed');
  }
});
