// Plays the user's browser for cli_oauth.sh: opens the authorization URL the mcpp CLI printed,
// signs in on mcpp's login page and approves, then follows the redirect back to the CLI's
// loopback listener. Usage: node cli_oauth_browser.mjs URL USER PASSWORD [deny]
const [url, user, password, choice = 'approve'] = process.argv.slice(2);
const cookies = new Map();

function remember(response) {
  for (const line of response.headers.getSetCookie?.() ?? []) {
    const [pair] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq > 0) cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
}

function cookieHeader() {
  return [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
}

function fail(message) {
  console.error(`browser: ${message}`);
  process.exit(1);
}

const page = await fetch(url, { redirect: 'manual' });
remember(page);
if (page.status !== 200) fail(`the authorization page answered ${page.status}`);
const html = await page.text();
const form = html.match(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i);
if (!form) fail(`no form on the page: ${html.slice(0, 300)}`);
const fields = new URLSearchParams();
for (const [, attrs] of form[2].matchAll(/<input([^>]*)>/gi)) {
  const name = attrs.match(/name="([^"]*)"/i)?.[1];
  if (!name) continue;
  const value = attrs.match(/value="([^"]*)"/i)?.[1] ?? '';
  fields.set(name, name === 'username' ? user : name === 'password' ? password : value);
}
fields.set('decision', choice);
const action = new URL(form[1].replace(/&amp;/g, '&'), url);
const decided = await fetch(action, {
  method: 'POST',
  redirect: 'manual',
  headers: {
    'content-type': 'application/x-www-form-urlencoded',
    origin: action.origin,
    cookie: cookieHeader(),
  },
  body: fields,
});
if (decided.status !== 302 && decided.status !== 303) {
  fail(`the decision answered ${decided.status}: ${(await decided.text()).slice(0, 300)}`);
}
const back = decided.headers.get('location');
if (!back) fail('no redirect back');
// The redirect goes to the CLI's loopback listener, as a browser would follow it.
const done = await fetch(back);
if (done.status !== 200) fail(`the CLI's listener answered ${done.status}`);
console.log('browser: signed in and sent back');
