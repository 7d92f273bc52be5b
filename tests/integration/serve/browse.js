// browse.js BASE PROFILE_DIR - lakeform serve's pages in headless Chromium
// (Debian's, driven by puppeteer-core): each page loads and shows what the
// quickstart holds, and the way from one page to the next is by clicking
// its links.  With LF_SERVE_SHOTS=DIR, a picture of each page goes there
// (serve-NAME.png).  One line per check: "ok NAME" or "FAIL NAME".
const puppeteer = require('puppeteer-core');
const path = require('path');

const base = process.argv[2];
const profile = process.argv[3];
const shots = process.env.LF_SERVE_SHOTS || '';
let failures = 0;

function ok(name) { console.log('ok   ' + name); }
function fail(name, why) { failures++; console.log('FAIL ' + name); if (why) console.log('     ' + why); }

async function shot(page, name) {
	if (shots)
		await page.screenshot({ path: path.join(shots, 'serve-' + name + '.png'), fullPage: false });
}

// click the link whose text is `text` (exactly), wait for the page it opens
async function follow(page, text) {
	const links = await page.$$('a');
	for (const a of links) {
		const t = await page.evaluate(el => el.textContent.trim(), a);
		if (t === text) {
			await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), a.click()]);
			return true;
		}
	}
	throw new Error('no link "' + text + '" on ' + page.url());
}

async function has(page, name, ...texts) {
	const body = await page.evaluate(() => document.body.innerText);
	const missing = texts.filter(t => !body.includes(t));
	if (missing.length)
		fail(name, 'missing: ' + missing.join(', ') + ' on ' + page.url());
	else
		ok(name);
}

(async () => {
	const browser = await puppeteer.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		headless: true,
		userDataDir: profile,
		args: ['--no-sandbox', '--disable-gpu', '--hide-scrollbars'],
	});
	try {
		const page = await browser.newPage();
		await page.setViewport({ width: 1200, height: 900 });
		const errors = [];
		page.on('pageerror', e => errors.push(String(e)));
		page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });

		const res = await page.goto(base + '/', { waitUntil: 'load' });
		if (res.status() === 200) ok('browser: the overview loads (200)'); else fail('browser: the overview loads', 'status ' + res.status());
		await has(page, 'browser: the overview names the account and its serial', 'acme', 'state serial');
		await shot(page, 'overview');

		await follow(page, 'Account');
		await has(page, 'browser: Account -> the map: region, metastore, serverless workspace',
			'Region us-east-1', 'metastore/main-use1', 'workspace/analytics', 'serverless', 'compute.network/analytics');
		await shot(page, 'account');

		await follow(page, 'browse its catalogs');
		await has(page, 'browser: the map -> main-use1\'s catalogs', 'analytics', 'sales', 'Catalogs');
		await follow(page, 'sales');
		await has(page, 'browser: -> catalog sales: its grants and effective access',
			'Grants (2)', 'group:analysts', 'USE_CATALOG', 'CREATE_SCHEMA', 'Effective access', 'curated', 'raw');
		await shot(page, 'namespace');

		await follow(page, 'curated');
		await has(page, 'browser: -> schema curated: the grant to analysts', 'grant/analysts-read-curated', 'SELECT');
		await follow(page, 'sales');
		await has(page, 'browser: the crumbs lead back up to sales', 'catalog main-use1/sales');

		await follow(page, 'group:analysts');
		await has(page, 'browser: -> principal group:analysts: members and grants',
			'user:alice@acme.com', 'user:bob@acme.com', 'grant/analysts-use-sales');
		await follow(page, 'user:alice@acme.com');
		await has(page, 'browser: -> principal alice: her group and what she can do',
			'Member of (1)', 'group:analysts', 'schema/main-use1/sales/curated', 'SELECT');
		await shot(page, 'principal');
		await follow(page, 'Effective access');
		await has(page, 'browser: -> alice\'s effective access, through her group',
			'Effective access of user:alice@acme.com', 'schema/main-use1/sales/curated', 'SELECT', 'member of group:analysts');
		await shot(page, 'access');

		await follow(page, 'Resources');
		await has(page, 'browser: Resources lists the records', 'account/acme', 'workspace/analytics');
		await shot(page, 'resources');
		await follow(page, 'workspace/analytics');
		await has(page, 'browser: -> a resource: inputs, dependencies, expansion',
			'serverless', 'Depends on', 'Expanded to', 'compute.network/analytics');
		await shot(page, 'resource');

		await follow(page, 'History');
		await has(page, 'browser: History shows serial 1', 'History of applies', 'snapshot');
		await shot(page, 'history');

		await follow(page, 'Drift');
		await has(page, 'browser: Drift shows the edited bucket', 'storage.bucket/acme-lakehouse-default', 'tags.owner', 'someone-else');
		await shot(page, 'drift');

		await follow(page, 'Graph');
		const boxes = await page.$$('svg g.node');
		if (boxes.length >= 20) ok('browser: Graph draws the graph (' + boxes.length + ' boxes)');
		else fail('browser: Graph draws the graph', boxes.length + ' boxes');
		await shot(page, 'graph');
		// a box of the SVG is a link to its resource
		const box = await page.$('svg a[href="/resource?address=metastore%2Fmain-use1"], svg a[*|href="/resource?address=metastore%2Fmain-use1"]');
		if (box) {
			await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), box.click()]);
			await has(page, 'browser: a box of the graph opens its resource', 'metastore/main-use1', 'Needed by');
		} else {
			fail('browser: a box of the graph opens its resource', 'no link in the SVG');
		}

		if (errors.length) fail('browser: no script error on any page', errors.join('; '));
		else ok('browser: no script error on any page');
	} catch (e) {
		fail('browser: the walk through the pages', String(e));
	} finally {
		await browser.close();
	}
	process.exit(failures ? 1 : 0);
})();
