// Drives the web chat in a real browser: Debian's headless Chromium through playwright-core.
//
//   node tests/e2e/widget.cjs '<json>'   (run by tests/test_widget.py)
//
// The JSON names the scenario, the page (chatUrl), Rasa (rasaUrl), where screenshots go
// (artifacts) and the texts to expect. The last line printed is a JSON object with what was seen,
// for the Python test to check against the Rasa tracker; any failed wait or assertion exits 1.
'use strict';

const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { createRequire } = require('node:module');

// playwright-core is installed in web/ by scripts/install.sh, not beside this script.
const { chromium } = createRequire(path.resolve(__dirname, '../../web/package.json'))('playwright-core');

const config = JSON.parse(process.argv[2]);
const origin = new URL(config.chatUrl).origin;
const TURN = 60_000; // one turn through Rasa and the action server, on a busy CI machine
const TIMEZONE = 'Pacific/Auckland'; // not the machine's, so the test sees the browser's own

// Runs in the page: the log as {from, text}, a template written back with its ``` fences,
// so that texts compare with what Rasa stored.
function readLog() {
  return [...document.querySelectorAll('#log .message')].map((item) => ({
    from: item.classList.contains('from-user') ? 'user' : 'bot',
    text: [...item.querySelectorAll(':scope > p, :scope > figure > pre')]
      .map((node) => (node.tagName === 'PRE' ? '```\n' + node.textContent + '\n```' : node.textContent))
      .join('\n\n'),
  }));
}

async function newContext(browser) {
  const context = await browser.newContext({ viewport: { width: 1024, height: 800 }, timezoneId: TIMEZONE });
  await context.addInitScript(`window.readLog = ${readLog}`);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  return context;
}

// Opens the page; anything it tries to load from another origin is refused and reported (the
// page must work without internet), as is any script error.
async function openChat(context, problems) {
  const page = await context.newPage();
  page.setDefaultTimeout(TURN);
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    problems.push(`requested from elsewhere: ${url}`);
    return route.abort();
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  await page.goto(config.chatUrl);
  return page;
}

const log = (page) => page.evaluate(() => window.readLog());

// Waits until the log holds more than `count` messages and one after the first `count` satisfies
// the check; `expected` names it in the timeout's message.
async function waitForMessage(page, count, check, expected) {
  try {
    await page.waitForFunction(
      ({ count, source }) => window.readLog().slice(count).some(new Function('m', `return ${source}`)),
      { count, source: check },
    );
  } catch (error) {
    throw new Error(`waited for ${expected}; the log is ${JSON.stringify(await log(page), null, 1)}\n${error}`);
  }
  return (await log(page)).slice(count);
}

// Types like a person: in the labelled field, Enter sends.
async function say(page, text) {
  const count = (await log(page)).length;
  await page.getByLabel('Your message').fill(text);
  await page.getByLabel('Your message').press('Enter');
  await waitForMessage(page, count, `m.from === 'user' && m.text === ${JSON.stringify(text)}`,
    `the message "${text}" in the log`);
  return count + 1;
}

// Says `text` and waits for a bot message whose text is one of `ends` (what ends the turn).
async function turn(page, text, ends) {
  const after = await say(page, text);
  const said = await waitForMessage(page, after,
    `m.from === 'bot' && ${JSON.stringify(ends)}.includes(m.text)`, `one of ${ends.length} replies to "${text}"`);
  return said.filter((m) => m.from === 'bot').map((m) => m.text);
}

async function greeting(page) {
  return waitForMessage(page, 0, `m.from === 'bot'`, 'the greeting');
}

// The page keeps the token the server signed for its session: `<session id>.<signature>`.
async function sessionId(page) {
  const token = await page.evaluate(() => localStorage.getItem('runner-up-session-token'));
  assert.match(token || '', /^[0-9a-f]{32}\.[A-Za-z0-9_-]{43}$/, 'the page keeps a signed session token');
  return token.split('.')[0];
}

// A rejection told step by step, a filled template copied, and the same log after a reload.
async function conversation(browser, problems) {
  const context = await newContext(browser);
  const page = await openChat(context, problems);
  const [hello] = await greeting(page);
  assert.ok(config.greetings.includes(hello.text), `the bot speaks first: ${hello.text}`);
  assert.deepEqual((await log(page)).filter((m) => m.from === 'user'), [], '"/greet" is not shown');

  const questions = Object.keys(config.answers);
  let said = await turn(page, config.rejection, [...questions, ...config.offers]);
  for (let asked = 0; asked < questions.length && questions.includes(said[said.length - 1]); asked += 1) {
    said = await turn(page, config.answers[said[said.length - 1]], [...questions, ...config.offers]);
  }
  assert.ok(config.offers.includes(said[said.length - 1]), `a step is offered: ${said}`);

  const after = await say(page, config.askTemplate);
  const [draft] = (await waitForMessage(page, after, `m.from === 'bot' && m.text.startsWith('\`\`\`')`,
    'a template')).filter((m) => m.text.startsWith('```'));
  const pre = page.locator('#log pre').last();
  assert.equal(await pre.count(), 1);
  await page.getByRole('button', { name: 'Copy', exact: true }).last().click();
  await page.getByRole('button', { name: 'Copied', exact: true }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), await pre.textContent());

  // Keyboard: Tab reaches the message field, which then shows where the focus is.
  await page.locator('body').click({ position: { x: 1, y: 1 } });
  for (let tabs = 0; tabs < 40 && !(await page.evaluate(() => document.activeElement.id === 'message')); tabs += 1) {
    await page.keyboard.press('Tab');
  }
  const focus = await page.evaluate(() => {
    const style = getComputedStyle(document.activeElement);
    return { id: document.activeElement.id, outline: style.outlineStyle, width: parseFloat(style.outlineWidth) };
  });
  assert.equal(focus.id, 'message', 'Tab reaches the message field');
  assert.ok(focus.outline !== 'none' && focus.width >= 2, `visible focus: ${JSON.stringify(focus)}`);
  await page.screenshot({ path: path.join(config.artifacts, 'widget.png') });

  const before = await log(page);
  const id = await sessionId(page);
  await page.reload();
  const reloaded = await waitForMessage(page, before.length - 1, 'true', `the ${before.length} messages again`);
  assert.equal(reloaded.length, 1, 'the history has exactly the messages seen before the reload');
  assert.deepEqual(await log(page), before, 'the same conversation after a reload');
  assert.equal(await sessionId(page), id);

  // A phone: nothing wider than the screen, the field and the Send button on it.
  await page.setViewportSize({ width: 360, height: 740 });
  const fits = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    send: document.querySelector('.composer button').getBoundingClientRect().right,
    pre: document.querySelector('#log pre').getBoundingClientRect().right,
  }));
  assert.ok(fits.scrollWidth <= 360 && fits.send <= 360 && fits.pre <= 360, `fits 360 px: ${JSON.stringify(fits)}`);
  await page.getByRole('button', { name: 'Copy', exact: true }).last().scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(config.artifacts, 'widget-phone.png') });
  await context.close();
  return { sessionId: id, log: before, draft: draft.text, timezone: TIMEZONE };
}

// Text typed as HTML stays text, live and after a reload.
async function html(browser, problems) {
  const context = await newContext(browser);
  const page = await openChat(context, problems);
  await greeting(page);
  const after = await say(page, config.html);
  await waitForMessage(page, after, `m.from === 'bot'`, 'a reply to the HTML');
  for (const when of ['live', 'after a reload']) {
    const typed = page.locator('#log .from-user p').last();
    assert.equal(await typed.textContent(), config.html, when);
    assert.equal(await page.locator('#log img, #log b, #log script').count(), 0, `no element made from the text ${when}`);
    assert.equal(await page.evaluate(() => window.pwned), undefined, `no script ran ${when}`);
    if (when === 'live') {
      const count = (await log(page)).length;
      await page.reload();
      await waitForMessage(page, count - 1, 'true', 'the history');
    }
  }
  const id = await sessionId(page);
  await context.close();
  return { sessionId: id };
}

// A check-in for this session, delivered now by the scheduler's own code (tests/send_checkin.py).
function triggerIntent(id) {
  const [command, ...args] = config.sendCheckIn;
  const status = execFileSync(command, [...args, `web:${id}`], { encoding: 'utf8' }).trim();
  assert.equal(status.split('\n').pop(), 'sent', status);
}

// A message the bot sends by itself reaches the open page; one sent while the connection is down
// shows once it is back; a later visit finds them all in the history.
async function checkIn(browser, problems) {
  const context = await newContext(browser);
  let page = await openChat(context, problems);
  await greeting(page);
  const id = await sessionId(page);
  const isCheckIn = `${JSON.stringify(config.checkIns)}.includes(m.text)`;
  const count = (await log(page)).length;
  triggerIntent(id);
  const live = await waitForMessage(page, count, isCheckIn, 'the check-in, live');

  await context.setOffline(true); // closes the socket, as a lost connection would
  await page.getByRole('status').filter({ hasText: 'Reconnecting…' }).waitFor();
  triggerIntent(id);
  await context.setOffline(false);
  await waitForMessage(page, count + 1, isCheckIn, 'the check-in sent while disconnected');
  await page.getByRole('status').waitFor({ state: 'hidden' });
  const reconnected = await log(page);

  await page.close(); // nobody connected: this one can only be seen in the history
  triggerIntent(id);
  page = await openChat(context, problems);
  await waitForMessage(page, count + 2, isCheckIn, 'the check-ins in the history');
  const later = await log(page);
  await context.close();
  return { sessionId: id, live: live.map((m) => m.text), reconnected, later };
}

// Waits until no new message has arrived for `quiet` ms (a turn may send several messages).
async function settle(page, quiet = 1500) {
  let count = -1;
  for (let seen = (await log(page)).length; seen !== count; seen = (await log(page)).length) {
    count = seen;
    await page.waitForTimeout(quiet);
  }
  return count;
}

// Says `text` and waits for the bot's answer to it (every message of the turn).
async function exchange(page, text) {
  const after = await say(page, text);
  await waitForMessage(page, after, `m.from === 'bot'`, `a reply to "${text}"`);
  await settle(page);
  return (await log(page)).slice(after);
}

// Quick replies: a message with buttons, one clicked (its payload sent, its title shown, the
// buttons gone, the bot's answer shown); then a few feelings told, and "how have I been doing?"
// draws the mood picture, again after a reload, and it fits a phone.
async function picture(browser, problems) {
  const context = await newContext(browser);
  const page = await openChat(context, problems);
  await greeting(page);
  await settle(page);
  const buttons = page.locator('#log .quick-replies button');
  let asked = null;
  for (const text of config.outOfScope) {
    await exchange(page, text);
    if (await buttons.count()) { asked = text; break; }
  }
  assert.ok(asked, `one of ${JSON.stringify(config.outOfScope)} gets quick replies`);
  const titles = await buttons.allTextContents();
  assert.ok(titles.length >= 2, `buttons: ${titles}`);
  for (const title of titles) await page.getByRole('button', { name: title, exact: true }).waitFor();
  await buttons.last().scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(config.artifacts, 'widget-buttons.png') });

  const title = titles.find((t) => config.clickTitles.includes(t)) || titles[0];
  const button = page.getByRole('button', { name: title, exact: true });
  const handle = await button.elementHandle();
  const before = (await log(page)).length;
  await button.click();
  await waitForMessage(page, before, `m.from === 'user' && m.text === ${JSON.stringify(title)}`, 'the title, as said');
  await waitForMessage(page, before + 1, `m.from === 'bot'`, 'the answer to the button');
  await settle(page);
  assert.equal(await handle.evaluate((node) => node.isConnected), false, 'the clicked buttons are gone');
  const answer = (await log(page)).slice(before + 1).filter((m) => m.from === 'bot').map((m) => m.text);
  await page.screenshot({ path: path.join(config.artifacts, 'widget-button-clicked.png') });

  for (const feeling of config.feelings) await exchange(page, feeling);
  const asking = await say(page, config.askPicture);
  const img = page.locator('#log .message.from-bot figure.chart img');
  try {
    await img.first().waitFor();
  } catch (error) {
    throw new Error(`no chart after "${config.askPicture}"; the log is ${JSON.stringify(await log(page), null, 1)}`);
  }
  await settle(page);
  const chart = await img.last().evaluate((node) => {
    const box = node.getBoundingClientRect();
    return { alt: node.alt, src: node.src.slice(0, 26), width: box.width, height: box.height,
             naturalWidth: node.naturalWidth, complete: node.complete,
             text: node.closest('.message').querySelector('p').textContent };
  });
  assert.equal(chart.src, 'data:image/svg+xml;base64,');
  assert.ok(chart.complete && chart.naturalWidth > 0, `the SVG decoded: ${JSON.stringify(chart)}`);
  assert.ok(chart.width >= 400 && chart.height >= 250, `a readable size: ${JSON.stringify(chart)}`);
  assert.ok(chart.alt.length > 20 && chart.text.includes(chart.alt), 'the text says what the picture shows');
  await img.last().scrollIntoViewIfNeeded();
  await page.setViewportSize({ width: 1024, height: 1000 });
  await img.last().scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(config.artifacts, 'widget-chart.png') });
  const said = (await log(page)).slice(asking).filter((m) => m.from === 'bot').map((m) => m.text);

  // The history draws it again; on a phone it fits the screen.
  const count = (await log(page)).length;
  await page.reload();
  await waitForMessage(page, count - 1, 'true', 'the history');
  assert.equal(await img.count(), 1, 'the chart again after a reload');
  assert.equal(await img.first().getAttribute('alt'), chart.alt);
  await page.setViewportSize({ width: 360, height: 740 });
  const phone = await img.first().evaluate((node) => ({
    right: node.getBoundingClientRect().right, width: node.getBoundingClientRect().width,
    scrollWidth: document.documentElement.scrollWidth }));
  assert.ok(phone.right <= 360 && phone.scrollWidth <= 360 && phone.width >= 250, `fits 360 px: ${JSON.stringify(phone)}`);
  await img.first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(config.artifacts, 'widget-chart-phone.png') });
  const id = await sessionId(page);
  await context.close();
  return { sessionId: id, asked, titles, clicked: title, answer, chart, said };
}

async function main() {
  const scenarios = { conversation, html, checkIn, picture };
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const problems = [];
  try {
    const seen = await scenarios[config.scenario](browser, problems);
    assert.deepEqual(problems, [], 'no script errors, nothing loaded from another origin');
    console.log(JSON.stringify(seen));
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
