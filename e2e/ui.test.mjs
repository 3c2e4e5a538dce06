// End-to-end tests of the Lockstep UI against a running `lockstep serve` over
// a detected world (BASE_URL, API_KEY: see README.md in this folder). One
// browser, tests in order: each builds on the state the previous one left.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { figure, gql, launch, measurePan, newContext, openLabGraph, readFileSync, screenshot, settings, watch } from './lib.mjs';

let browser;
let ctx;
let page;
let problems = [];
const state = { networkId: '', networkHandle: '', runId: '', accountId: '', listId: '' };

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

test('a wrong API key is refused with a clear message', async () => {
  const c = await newContext(browser);
  const p = await c.newPage();
  await p.goto('/');
  await p.getByLabel('API key').fill('lsk_this-key-does-not-exist');
  await p.getByRole('button', { name: 'Sign in' }).click();
  const msg = p.getByTestId('signin-message');
  await msg.waitFor();
  assert.match(await msg.innerText(), /not accepted.*wrong, expired or was revoked/);
  await screenshot(p, 'signin');
  await c.close();
});

test('sign in and see the ranked networks of the latest run', async () => {
  ctx = await newContext(browser);
  page = await ctx.newPage();
  problems = watch(page);
  await page.goto('/');
  await page.getByLabel('API key').fill(settings.apiKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('networks-table').waitFor({ timeout: 30_000 });
  const viewer = await page.getByTestId('viewer').innerText();
  const api = await gql('{ viewer { name role } networks(first: 1) { totalCount edges { node { id handle runId } } } }');
  assert.ok(viewer.includes(api.viewer.name), `top bar shows ${viewer}, API says ${api.viewer.name}`);
  assert.ok(api.networks.totalCount > 0, 'the world has no networks: run detection before the e2e');
  state.networkId = api.networks.edges[0].node.id;
  state.networkHandle = api.networks.edges[0].node.handle;
  state.runId = api.networks.edges[0].node.runId;
  // The list names networks by handle (the id stays in the link).
  const firstRow = page.locator('[data-testid=networks-table] tbody tr').first().locator('a').first();
  assert.equal(await firstRow.innerText(), state.networkHandle, 'first row is the API\'s top network');
  assert.equal(await firstRow.getAttribute('href'), `#/networks/${encodeURIComponent(state.networkId)}`);
  assert.match(await page.getByTestId('network-total').innerText(), new RegExp(`${api.networks.totalCount.toLocaleString('en-GB')} networks`));
  // Countries come with the list: a top-k with the count beside it.
  const tally = await gql(`query($id: ID!) { network(id: $id) { memberCountries(first: 3) { count top { country } } } }`, { id: state.networkId });
  const firstCountries = await page.locator('[data-testid=networks-table] tbody tr').first().getByTestId('country-tally').getAttribute('aria-label');
  assert.match(firstCountries, new RegExp(`^${tally.network.memberCountries.count} countr`), `countries cell ${firstCountries}`);
  await screenshot(page, 'networks');
});

test('filters and sort map onto the API, and live in the URL', async () => {
  await page.getByLabel('Min size').fill('11');
  await page.getByLabel('Signal', { exact: true }).selectOption('SWEEP');
  await page.getByLabel('Sort by').selectOption('SIZE:DESC');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForURL(/minSize=11/);
  assert.match(page.url(), /signal=SWEEP/);
  assert.match(page.url(), /sort=SIZE/);
  const api = await gql(
    'query($f: NetworkFilter, $o: NetworkOrder) { networks(filter: $f, orderBy: $o, first: 20) { totalCount edges { node { handle size } } } }',
    { f: { minSize: 11, signal: { name: 'SWEEP' } }, o: { field: 'SIZE', direction: 'DESC' } },
  );
  await page.getByTestId('network-total').filter({ hasText: `${api.networks.totalCount.toLocaleString('en-GB')} networks` }).waitFor();
  if (api.networks.totalCount > 0) {
    const handles = await page.locator('[data-testid=networks-table] tbody tr td:first-child a').allInnerTexts();
    assert.deepEqual(handles, api.networks.edges.map((e) => e.node.handle));
  }
  // A bad value is refused in the form, naming the field, without a request.
  await page.getByLabel('Min score').fill('2');
  await page.getByRole('button', { name: 'Apply' }).click();
  assert.match(await page.locator('#filter-error').innerText(), /Minimum score must be a number from 0 to 1/);
  await page.getByRole('button', { name: 'Reset' }).click();
  await page.waitForURL((u) => !u.toString().includes('minSize'));
  // Back to the default order: the API's top network first again.
  await page.locator('[data-testid=networks-table] tbody tr').first().locator('a').filter({ hasText: state.networkHandle }).waitFor();
});

test('cursor paging walks the API\'s pages forward and back', async () => {
  const q = 'query($after: String) { networks(first: 5, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { handle } } } }';
  const p1 = (await gql(q, { after: null })).networks;
  if (!p1.pageInfo.hasNextPage) return; // one page only: nothing to walk
  const p2 = (await gql(q, { after: p1.pageInfo.endCursor })).networks;
  // The list keeps showing the previous page while the next loads: wait for exactly the expected rows.
  const showing = (handles) =>
    page.waitForFunction(
      (want) => JSON.stringify([...document.querySelectorAll('[data-testid=networks-table] tbody tr td:first-child a')].map((a) => a.textContent)) === want,
      JSON.stringify(handles),
      { timeout: 15_000 },
    );
  await page.goto('/#/networks?pageSize=5');
  await showing(p1.edges.map((e) => e.node.handle));
  await page.getByRole('button', { name: 'Next →' }).click();
  await showing(p2.edges.map((e) => e.node.handle));
  assert.match(await page.getByRole('navigation', { name: 'Pages' }).innerText(), new RegExp(`6–${5 + p2.edges.length} of ${p1.totalCount}`));
  await page.getByRole('button', { name: '← Previous' }).click();
  await showing(p1.edges.map((e) => e.node.handle));
  await page.goto('/#/networks');
  await page.locator('[data-testid=networks-table] tbody tr').nth(5).waitFor();
  await page.locator('[data-testid=networks-table] tbody tr').first().locator('a').filter({ hasText: state.networkHandle }).waitFor();
});

test('the demo world shows a possibly state-linked network with its reasons', async () => {
  // `lockstep demo` runs detection with the watch lists its world was
  // generated with, so the mission's own case is there to see.
  const api = await gql('{ networks(first: 100) { edges { node { id stateLinked { possible confidence reasons details { reason source } } } } } }');
  const linked = api.networks.edges.map((e) => e.node).filter((n) => n.stateLinked.possible);
  assert.ok(linked.length > 0, 'no network is possibly state-linked: the demo must use its world\'s watch lists');
  try {
    await page.goto(`/#/networks/${encodeURIComponent(linked[0].id)}`);
    const section = page.locator('section').filter({ has: page.locator('#state-title') });
    await section.filter({ hasText: 'Indicator raised' }).waitFor({ timeout: 30_000 });
    const text = await section.innerText();
    // Each reason with where it came from: a watch list or the network's behaviour.
    assert.ok(linked[0].stateLinked.details.length > 0, 'the API gives no sources of the reasons');
    for (const { reason, source } of linked[0].stateLinked.details) {
      const said = `${reason} (${source === 'CONFIGURATION' ? 'watch list' : 'behaviour'})`;
      assert.ok(text.includes(said), `the state-linked section lacks "${said}": ${text.slice(0, 300)}`);
    }
    await page.locator('.badge.state:visible').first().waitFor();
    await screenshot(page, 'state-linked');
  } finally {
    await page.goto('/#/networks');
    await page.getByTestId('networks-table').waitFor({ timeout: 30_000 });
  }
});

test('open the top network: the graph canvas draws nodes', async () => {
  await page.locator('[data-testid=networks-table] tbody tr').first().locator('a').first().click();
  await page.waitForURL(/#\/networks\/.+/);
  await page.locator('h1').filter({ hasText: state.networkHandle }).waitFor({ timeout: 30_000 });
  const graph = page.getByTestId('graph');
  await graph.waitFor({ timeout: 30_000 });
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=graph]')?.getAttribute('data-nodes') ?? 0) > 0, null, { timeout: 30_000 });
  await page.waitForFunction(() => document.querySelector('[data-testid=graph]')?.getAttribute('data-layout') === 'done', null, { timeout: 30_000 });
  // Sigma's own view: how many nodes it placed inside the viewport.
  const drawn = await page.evaluate(() => {
    const el = document.querySelector('[data-testid=graph]');
    const sigma = el.__sigma;
    const { width, height } = sigma.getDimensions();
    let inside = 0;
    sigma.getGraph().forEachNode((n) => {
      const d = sigma.getNodeDisplayData(n);
      if (!d || d.hidden) return;
      const p = sigma.framedGraphToViewport(d);
      if (p.x >= 0 && p.y >= 0 && p.x <= width && p.y <= height) inside++;
    });
    return { order: sigma.getGraph().order, inside };
  });
  assert.ok(drawn.order > 1, `graph has ${drawn.order} nodes`);
  assert.ok(drawn.inside >= Math.min(drawn.order, 2), `only ${drawn.inside} of ${drawn.order} nodes inside the viewport`);
  // The pixels: coloured node discs on the white canvas.
  const png = PNG.sync.read(await graph.screenshot());
  let coloured = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    const [r, g, b] = [png.data[i], png.data[i + 1], png.data[i + 2]];
    if (Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured++;
  }
  assert.ok(coloured > 200, `only ${coloured} coloured pixels on the graph canvas`);
  figure('network_graph_nodes', drawn.order, 'nodes');
  // Search a member, select it, expand its neighbourhood through the API.
  const member = await page.locator('[data-testid=member-table] tbody tr').first().locator('a').first().innerText();
  await page.getByLabel('Find node').fill(member);
  await page.getByLabel('Find node').press('Enter');
  await page.getByTestId('graph-selection').filter({ hasText: member }).waitFor();
  await page.getByRole('button', { name: 'Expand neighbourhood' }).click();
  await page.getByRole('button', { name: 'Expand neighbourhood' }).waitFor({ state: 'visible' });
  await page.waitForFunction(() => !document.querySelector('[data-testid=graph-selection]')?.textContent?.includes('Expanding'), null, { timeout: 20_000 });
  assert.equal(await page.getByTestId('graph-selection').getByRole('alert').count(), 0, 'expanding failed');
  const after = Number(await graph.getAttribute('data-nodes'));
  assert.ok(after >= drawn.order, `graph shrank from ${drawn.order} to ${after} nodes`);
  await page.getByLabel('Find node').fill('');
  // Keyboard: Escape on the canvas clears the selection; then fit the whole graph for the picture.
  await graph.focus();
  await page.keyboard.press('Escape');
  await page.getByTestId('graph-selection').filter({ hasText: 'No node selected' }).waitFor();
  await page.getByRole('button', { name: 'Fit' }).click();
  await page.getByRole('heading', { name: 'Evidence' }).click();
  await page.waitForTimeout(600);
  await screenshot(page, 'network', { fullPage: true });
});

test('read an evidence sentence and why a member is here', async () => {
  const first = page.getByTestId('evidence').locator('li').first();
  const sentence = await first.innerText();
  assert.match(sentence, /\d/, `evidence sentence without numbers: ${sentence}`);
  const net = await gql('query($id: ID!) { network(id: $id) { evidence } }', { id: state.networkId });
  assert.ok(JSON.stringify(net.network.evidence).includes(sentence.slice(0, 20)), `sentence "${sentence}" not in the API's evidence`);
  await page.getByRole('button', { name: /Why is .* in this network\?/ }).first().click();
  const why = page.getByTestId('why').first();
  await why.waitFor();
  assert.match(await why.innerText(), /Linked to \d+ other member/);
});

test('confirm the network with a note', async () => {
  await page.getByLabel('Confirm').check();
  await page.getByLabel('Note').fill('e2e: sweep of consecutive numbers from shared infrastructure');
  await page.getByRole('button', { name: 'Record review' }).click();
  await page.getByTestId('review-done').waitFor();
  await page.getByTestId('review-history').waitFor();
  assert.match(await page.getByTestId('review-status').innerText(), /Confirmed/);
  const api = await gql('query($id: ID!) { network(id: $id) { reviewStatus reviews { verdict note } } }', { id: state.networkId });
  assert.equal(api.network.reviewStatus, 'CONFIRMED');
  assert.ok(api.network.reviews.some((r) => r.note.startsWith('e2e:')));
});

test('the case report shows the handle, evidence, members and review, laid out for print', async () => {
  await page.getByRole('link', { name: 'Case report' }).click();
  await page.waitForURL(/#\/networks\/.+\/report$/);
  await page.getByTestId('case-report').waitFor({ timeout: 30_000 });
  assert.match(await page.getByTestId('report-handle').innerText(), new RegExp(state.networkHandle));
  const api = await gql('query($id: ID!) { network(id: $id) { evidence members(first: 100) { totalCount edges { node { account { id } } } } } }', { id: state.networkId });
  const evidence = await page.getByTestId('report-evidence').locator('li').allInnerTexts();
  assert.ok(evidence.length > 0, 'report shows no evidence');
  assert.ok(JSON.stringify(api.network.evidence).includes(evidence[0].slice(0, 20)), `report sentence "${evidence[0]}" not in the API's evidence`);
  const rows = page.getByTestId('report-members').locator('tbody tr');
  assert.equal(await rows.count(), api.network.members.edges.length, 'one row per member (first 100)');
  assert.ok((await rows.first().innerText()).length > 0);
  const rest = api.network.members.totalCount - api.network.members.edges.length;
  if (rest > 0) assert.match(await page.getByTestId('report-more-members').innerText(), new RegExp(rest.toLocaleString('en-GB')));
  assert.match(await page.getByTestId('report-reviews').innerText(), /e2e: sweep of consecutive numbers/);
  await page.getByTestId('report-graph').waitFor({ timeout: 30_000 });
  assert.ok((await page.getByTestId('report-graph').locator('circle').count()) > 1, 'graph picture has no nodes');
  // Printed, the report drops the app's chrome and keeps its content.
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('header.topbar').isVisible(), false, 'top bar printed');
  assert.equal(await page.getByTestId('case-report').isVisible(), true);
  await screenshot(page, 'case_report', { fullPage: true });
  await page.emulateMedia({ media: 'screen' });
  await page.getByRole('link', { name: '← Back to the network' }).click();
  await page.getByTestId('member-table').waitFor({ timeout: 30_000 });
});

test('the account view shows profile, networks and timeline', async () => {
  const link = page.locator('[data-testid=member-table] tbody tr').first().locator('a').first();
  await link.click();
  await page.waitForURL(/#\/accounts\/.+/);
  await page.getByTestId('memberships').waitFor({ timeout: 20_000 });
  state.accountId = decodeURIComponent(page.url().split('#/accounts/')[1]);
  assert.match(await page.getByTestId('memberships').innerText(), new RegExp(state.networkHandle));
  await page.getByTestId('timeline').waitFor();
  await screenshot(page, 'account', { fullPage: true });
});

test('the account view draws the sweep plot from Account.sweep', async () => {
  // The plot comes from the API's per-block summary (no individual number):
  // the figure for the account's most-swept block must say what the API says
  // and draw one bar per non-empty bin.
  const api = await gql('query($id: ID!) { account(id: $id) { sweep { block distinct longestRun bins } } }', { id: state.accountId });
  assert.ok(api.account.sweep.length > 0, `top network member ${state.accountId} has no phone lookups in Account.sweep`);
  const top = api.account.sweep[0];
  const plot = page.getByTestId('sweep-plot');
  await plot.waitFor({ timeout: 20_000 });
  assert.equal(await page.getByTestId('sweep-unavailable').count(), 0, 'the "no Account.sweep" notice is still shown');
  const fig = plot.locator('figure').filter({ hasText: `${top.distinct} distinct numbers looked up in block ${top.block}` });
  assert.equal(await fig.count(), 1, `no figure captioned with ${top.distinct} distinct numbers in ${top.block}: ${await plot.innerText()}`);
  assert.equal(await fig.locator('svg[role=img]').count(), 1);
  const bars = await fig.locator('svg rect[fill="#b2182b"]').count();
  assert.equal(bars, top.bins.filter((c) => c > 0).length, 'one bar per non-empty bin');
  const caption = await fig.locator('figcaption').innerText();
  // longestRun counts whole groups of 100 only (docs/API.md, "Privacy of looked-up numbers").
  if (top.longestRun > 0) assert.match(caption, new RegExp(`fully looked-up groups covers ${top.longestRun} consecutive numbers`));
  else assert.match(caption, /No group of 100 numbers was looked up in full/);
  await fig.scrollIntoViewIfNeeded();
  await screenshot(page, 'account', { fullPage: true });
});

test('build a suspension list, download the CSV and check it against the API', async () => {
  await page.goto(`/#/lists?networks=${encodeURIComponent(state.networkId)}&run=${encodeURIComponent(state.runId)}`);
  await page.getByRole('button', { name: /Dry run/ }).click();
  const count = Number((await page.getByTestId('dry-count').innerText()).replace(/,/g, ''));
  assert.ok(count > 0, 'dry run selected no accounts');
  await page.getByRole('button', { name: /Create list of/ }).click();
  await page.getByTestId('list-created').waitFor();
  const created = await page.getByTestId('list-created').innerText();
  state.listId = created.match(/Created list (\S+)/)[1];
  const downloadP = page.waitForEvent('download');
  await page.getByTestId('list-created').getByRole('button', { name: 'CSV' }).click();
  const download = await downloadP;
  const csv = readFileSync(await download.path(), 'utf8');
  await page.getByTestId(`export-check-${state.listId}`).first().waitFor();
  assert.match(await page.getByTestId(`export-check-${state.listId}`).first().innerText(), /SHA-256 verified/);
  // Rows against the API, page by page.
  const lines = csv.trimEnd().split('\n');
  assert.equal(lines[0], 'account_id,network_id,score,run_id,reasons');
  assert.match(lines.at(-1), /^# sha256=[0-9a-f]{64} rows=\d+ withheld=\d+( \(.*\))?$/);
  state.listSha256 = lines.at(-1).match(/sha256=([0-9a-f]{64})/)[1];
  const rows = lines.slice(1, -1).map((l) => l.split(','));
  const apiRows = [];
  let after = null;
  for (;;) {
    const d = await gql('query($id: ID!, $after: String) { suspensionList(id: $id) { accountCount entries(first: 100, after: $after) { accountId networkId runId score } } }', { id: state.listId, after });
    apiRows.push(...d.suspensionList.entries);
    if (d.suspensionList.entries.length < 100) {
      assert.equal(apiRows.length, d.suspensionList.accountCount);
      break;
    }
    after = d.suspensionList.entries.at(-1).accountId;
  }
  assert.equal(rows.length, apiRows.length, 'CSV rows vs API entries');
  assert.equal(rows.length, count, 'CSV rows vs dry-run count');
  rows.forEach((r, i) => {
    assert.equal(r[0], apiRows[i].accountId, `row ${i + 1} account`);
    assert.equal(r[1], apiRows[i].networkId, `row ${i + 1} network`);
    assert.equal(r[3], apiRows[i].runId, `row ${i + 1} run`);
  });
  await page.getByTestId('lists-table').waitFor();
  assert.match(await page.getByTestId('lists-table').innerText(), new RegExp(state.listId));
  await screenshot(page, 'lists', { fullPage: true });
});

test('the case report names the list that selects the network, with the digest of its download', async () => {
  await page.goto(`/#/networks/${encodeURIComponent(state.networkId)}/report`);
  const row = page.getByTestId('report-lists').locator('tr').filter({ hasText: state.listId });
  await row.waitFor({ timeout: 30_000 });
  // The CSV the lists step downloaded, with the digest its last line carried.
  const want = new RegExp(`CSV by .*: \\d+ rows.*sha256 ${state.listSha256}`);
  await page.waitForFunction(([id, re]) => [...document.querySelectorAll('[data-testid=report-lists] tr')].some((tr) => tr.textContent.includes(id) && new RegExp(re).test(tr.textContent)),
    [state.listId, want.source], { timeout: 30_000 }).catch(() => {});
  assert.match(await row.innerText(), want);
});

test('a 5,000-node graph pans with edges and labels left out while moving', async () => {
  await openLabGraph(page, 5000);
  const r = await measurePan(page);
  assert.ok(Math.abs(r.end.x - r.start.x) + Math.abs(r.end.y - r.start.y) > 0.01, 'the camera did not move');
  await screenshot(page, 'graph-5000');
  assert.ok(r.nodes >= 5000);
  // How fast it pans is bench-pan.mjs's figure (BENCHMARKS.md), never a
  // test's: SwiftShader's raster time follows the machine's load. Here:
  // renders happened while the camera moved and after it stopped.
  assert.ok(r.renders.length >= 2, `only ${r.renders.length} renders during and after the pan`);
  // What keeps a 5,000-node pan usable without a GPU is drawing mostly node
  // discs while the camera moves: no edges, no labels (sigma's own settings).
  const degraded = await page.evaluate(() => {
    const sigma = document.querySelector('[data-testid=graph]').__sigma;
    return { edges: sigma.getSetting('hideEdgesOnMove'), labels: sigma.getSetting('hideLabelsOnMove') };
  });
  assert.deepEqual(degraded, { edges: true, labels: true }, 'edges and labels must be hidden while a big graph moves');
  // Once the camera stops, hover finds nodes again: sigma's enterNode event
  // fires over a node's disc.
  const hovered = await page.evaluate(async () => {
    const sigma = document.querySelector('[data-testid=graph]').__sigma;
    const graph = sigma.getGraph();
    const { width, height } = sigma.getDimensions();
    let node = null;
    graph.forEachNode((n) => {
      if (node) return;
      const p = sigma.framedGraphToViewport(sigma.getNodeDisplayData(n));
      if (p.x > 50 && p.y > 50 && p.x < width - 50 && p.y < height - 50) node = { n, p };
    });
    return node;
  });
  assert.ok(hovered, 'no node inside the viewport after the pan');
  const box = await page.getByTestId('graph').boundingBox();
  const entered = page.evaluate(
    () => new Promise((resolve) => document.querySelector('[data-testid=graph]').__sigma.once('enterNode', ({ node }) => resolve(node))),
  );
  await page.mouse.move(box.x + hovered.p.x - 5, box.y + hovered.p.y - 5);
  await page.mouse.move(box.x + hovered.p.x, box.y + hovered.p.y);
  assert.ok(await Promise.race([entered, new Promise((r) => setTimeout(() => r(null), 10_000))]), 'hovering a node after the pan did not find it');
});

test('start a detection run and watch its progress reach 100%', async () => {
  await page.goto('/#/runs');
  await page.getByTestId('runs-table').waitFor();
  await page.getByRole('button', { name: 'Start detection run' }).click();
  await page.getByTestId('live-run').waitFor();
  const t0 = Date.now();
  const seen = new Set();
  // Sample the bar while it moves: it must pass through intermediate values, not jump.
  while (Date.now() - t0 < settings.runTimeoutMs) {
    const pct = await page.getByTestId('progress').getAttribute('aria-valuenow');
    seen.add(Number(pct));
    if (pct === '100') break;
    const status = await page.getByTestId('live-status').innerText();
    assert.notEqual(status, 'Failed', 'the detection run failed');
    await page.waitForTimeout(100);
  }
  assert.equal(await page.getByTestId('progress').getAttribute('aria-valuenow'), '100', `progress stuck; saw ${[...seen].join(', ')}`);
  await page.getByText(/Finished: [\d,]+ networks/).waitFor({ timeout: 30_000 });
  figure('detection_run_seen_in_ui', (Date.now() - t0) / 1000, 's');
  console.log(`progress values seen: ${[...seen].sort((a, b) => a - b).join(', ')}`);
  await screenshot(page, 'runs', { fullPage: true });
});

test('the playground runs a query with the signed-in key', async () => {
  await page.goto('/playground');
  await page.getByTestId('pg-status').filter({ hasText: 'Signed in as' }).waitFor({ timeout: 30_000 });
  await page.locator('.graphiql-container').waitFor();
  await page.locator('.graphiql-query-editor').filter({ hasText: 'totalCount' }).waitFor({ timeout: 30_000 });
  // The opening comment is where a newcomer reads first: no line of it
  // may run past the editor's edge (the editor does not wrap).
  const cut = await page.locator('.graphiql-query-editor').evaluate((editor) => {
    const edge = editor.getBoundingClientRect().right;
    return [...editor.querySelectorAll('.view-line')]
      .filter((line) => line.textContent.trim().startsWith('#'))
      .filter((line) => (line.firstElementChild ?? line).getBoundingClientRect().right > edge)
      .map((line) => line.textContent);
  });
  assert.deepEqual(cut, [], 'comment lines cut off at the editor edge');
  // A click while GraphiQL is still loading the schema (introspection,
  // then building it) can run nothing; running the query again is harmless.
  const result = page.locator('.result-window').filter({ hasText: 'totalCount' });
  try {
    const deadline = Date.now() + 30_000;
    do {
      await page.locator('.graphiql-execute-button').click();
      await result.waitFor({ timeout: 5_000 }).catch(() => {});
    } while (!(await result.isVisible()) && Date.now() < deadline);
    await result.waitFor({ timeout: 1_000 });
  } catch (e) {
    await screenshot(page, 'playground-failure');
    throw new Error(`no result in GraphiQL; result pane says: ${(await page.locator('.result-window').innerText().catch(() => '?')).slice(0, 300)}`, { cause: e });
  }
  await screenshot(page, 'playground');
});

test('a viewer key cannot review: the form explains the role', { skip: !settings.viewerKey && 'VIEWER_KEY not set' }, async () => {
  const c = await newContext(browser, settings.viewerKey);
  const p = await c.newPage();
  await p.goto(`/#/networks/${encodeURIComponent(state.networkId)}`);
  const gate = p.locator('[aria-labelledby=review-title]').getByTestId('role-too-low');
  await gate.waitFor({ timeout: 20_000 });
  assert.match(await gate.innerText(), /Needs the analyst role; your key is viewer/);
  await c.close();
});

test('no page errors or failed API calls along the way', () => {
  assert.deepEqual(problems.filter((p) => !/GL Driver Message|WebGL/.test(p)), []);
});
