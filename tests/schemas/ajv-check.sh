#!/usr/bin/env bash
# ajv-check.sh - check lakeform's kind schemas with an independent validator.
#
# ajv (through ajv-cli 5, installed with npm on first use) is the reference:
#
#   1. every schemas/*.schema.json compiles as draft-07, uses only the
#      keywords lakeform's own validator supports, writes its regular
#      expressions in the simple dialect, and its x-lakeform-* annotations
#      point at fields that exist;
#   2. every tests/schemas/examples/valid/*.json is valid and every
#      tests/schemas/examples/invalid/*.json invalid against the schema of
#      its "kind" (or, when "kind" names no schema, of its file-name prefix:
#      "user-kind-misspelled.json" is checked against User);
#      every document of examples/*/ (YAML, several per file) is valid; an
#      overlay's (docs/environments.md) as `$LAKEFORM -C DIR export` prints it;
#   3. when LF_VALIDATOR is set, that command is run as
#      `$LF_VALIDATOR SCHEMA DOC` (exit 0 valid, 1 invalid) on the same pairs
#      and must agree with ajv.
#
# Prints one line per failure and ends with `ajv: N passed, N failed`.
# Exits 0 when nothing failed, 1 otherwise.
#
# Environment:
#   LF_NPM_PREFIX  where npm installs ajv-cli (default build/npm, relative
#                  to the repository root)
#   LF_VALIDATOR   optional command to compare with ajv, e.g.
#                  build/tests/schema_check (as make test does)

set -u
cd "$(dirname "$0")/../.." || exit 1

prefix=${LF_NPM_PREFIX:-build/npm}
passed=0
failed=0

fail() {
	echo "FAIL: $*"
	failed=$((failed + 1))
}

finish() {
	echo "ajv: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lf-ajv.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# ---------------------------------------------------------------- install
ajv=$prefix/node_modules/.bin/ajv
if [ ! -x "$ajv" ] || [ ! -f "$prefix/node_modules/js-yaml/package.json" ] ||
	! grep -q '"version": "4\.' "$prefix/node_modules/js-yaml/package.json"; then
	mkdir -p "$prefix"
	if ! npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error \
		ajv-cli@5 js-yaml@4 >"$tmp/npm.log" 2>&1; then
		sed 's/^/npm: /' "$tmp/npm.log" >&2
		fail "npm install --prefix $prefix ajv-cli@5 js-yaml@4 failed"
		finish
	fi
fi
if [ ! -x "$ajv" ]; then
	fail "$ajv missing after npm install"
	finish
fi
export NODE_PATH=$PWD/$prefix/node_modules
case $prefix in /*) NODE_PATH=$prefix/node_modules ;; esac

# ---------------------------------------------------------------- 1. schemas
shopt -s nullglob
schemas=(schemas/*.schema.json)
if [ ${#schemas[@]} -eq 0 ]; then
	fail "no schemas/*.schema.json"
	finish
fi

for s in "${schemas[@]}"; do
	if out=$("$ajv" compile --spec=draft7 --strict=false -s "$s" 2>&1); then
		passed=$((passed + 1))
	else
		fail "$s: ajv compile: $(printf '%s' "$out" | tr '\n' ' ' | cut -c1-300)"
	fi
done

# Vocabulary, regular-expression dialect and annotation checks, one line per
# problem; a schema file without problems counts as one pass.
cat >"$tmp/lint.js" <<'EOF'
'use strict';
const fs = require('fs');
const path = require('path');

const VALIDATION = new Set(['type', 'properties', 'required', 'additionalProperties',
	'patternProperties', 'enum', 'const', 'pattern', 'minLength', 'maxLength', 'minimum',
	'maximum', 'items', 'minItems', 'maxItems', 'uniqueItems', 'oneOf', 'anyOf', 'allOf',
	'not', 'if', 'then', 'else', 'propertyNames', '$ref']);
const ANNOTATION = new Set(['title', 'description', 'default', 'examples', '$comment']);
const X_TOP = new Set(['x-lakeform-kind', 'x-lakeform-identity', 'x-lakeform-refs',
	'x-lakeform-privileges', 'x-lakeform-type', 'x-lakeform-family']);
const X_PROP = new Set(['x-lakeform-force-new', 'x-lakeform-sensitive',
	'x-lakeform-principal', 'x-lakeform-message']);
const SECURABLES = ['metastore', 'catalog', 'schema', 'volume', 'table', 'bucket'];
// Unity Catalog securables lakeform does not manage: a privilege may be
// known and grantable only there (USE_CONNECTION on a connection)
const UNMANAGED = ['function', 'model', 'view', 'storage_credential', 'connection'];

function checkRegex(re) {
	if (!re.startsWith('^') || !re.endsWith('$') || re.endsWith('\\$'))
		return 'is not anchored with ^...$';
	if (re.includes('(?')) return 'uses a lookaround or special group';
	if (/\\[1-9bBpPkuxc]/.test(re)) return 'uses an unsupported escape';
	try { new RegExp(re, 'u'); } catch (e) { return 'does not compile: ' + e.message; }
	return null;
}

/* Resolve a dotted path ("spec.metastore") to the property schema. */
function propAt(root, dotted) {
	let s = root;
	for (const part of dotted.split('.')) {
		while (s && s.$ref) s = deref(root, s.$ref);
		if (!s || !s.properties || !s.properties[part]) return null;
		s = s.properties[part];
	}
	while (s && s.$ref) s = deref(root, s.$ref);
	return s;
}

function deref(root, ref) {
	if (!ref.startsWith('#/definitions/')) return null;
	return (root.definitions || {})[ref.slice('#/definitions/'.length)] || null;
}

function lint(file) {
	const problems = [];
	const say = (where, msg) => problems.push(`${file}: ${where || '/'}: ${msg}`);
	let root;
	try { root = JSON.parse(fs.readFileSync(file, 'utf8')); } catch (e) {
		say('', 'not JSON: ' + e.message);
		return problems;
	}
	const kind = path.basename(file).replace(/\.schema\.json$/, '');

	function walk(s, where, top) {
		if (typeof s === 'boolean') return;
		if (s === null || typeof s !== 'object' || Array.isArray(s)) {
			say(where, 'is not a schema');
			return;
		}
		for (const k of Object.keys(s)) {
			if (VALIDATION.has(k) || ANNOTATION.has(k) || X_PROP.has(k)) continue;
			if (top && (X_TOP.has(k) || k === '$schema' || k === 'definitions')) continue;
			say(where, `keyword '${k}' is not in lakeform's vocabulary`);
		}
		if (typeof s.pattern === 'string') {
			const why = checkRegex(s.pattern);
			if (why) say(where, `pattern ${why}`);
		}
		if ('x-lakeform-message' in s && !('pattern' in s))
			say(where, 'x-lakeform-message without a pattern');
		if (typeof s['x-lakeform-message'] === 'string' &&
		    !/^[a-z][^\n]*[^.]$/.test(s['x-lakeform-message']))
			say(where, 'x-lakeform-message must start lowercase and not end with a full stop');
		if (s.$ref !== undefined && !deref(root, s.$ref))
			say(where, `$ref '${s.$ref}' is not a local definition`);
		for (const k of ['properties', 'patternProperties', 'definitions'])
			if (s[k] && typeof s[k] === 'object')
				for (const [n, sub] of Object.entries(s[k]))
					walk(sub, `${where}/${k}/${n}`, false);
		for (const k of ['additionalProperties', 'not', 'if', 'then', 'else', 'propertyNames'])
			if (k in s) walk(s[k], `${where}/${k}`, false);
		if (Array.isArray(s.items)) s.items.forEach((x, i) => walk(x, `${where}/items/${i}`, false));
		else if ('items' in s) walk(s.items, `${where}/items`, false);
		for (const k of ['allOf', 'anyOf', 'oneOf'])
			if (Array.isArray(s[k])) s[k].forEach((x, i) => walk(x, `${where}/${k}/${i}`, false));
		if (s.type === 'object' && !top && s.additionalProperties === undefined &&
		    !where.includes('/if') && s.properties)
			say(where, 'object without additionalProperties');
	}
	walk(root, '', true);

	if (root.$schema !== 'http://json-schema.org/draft-07/schema#') say('', '$schema is not draft-07');
	if (root.additionalProperties !== false) say('', 'top level allows additional properties');
	// a provider resource type (storage.bucket, ...) is named by x-lakeform-type
	if (root['x-lakeform-type'] !== undefined) {
		if (root['x-lakeform-type'] !== kind) say('', `x-lakeform-type is not '${kind}'`);
		if (!['storage', 'compute', 'identity'].includes(root['x-lakeform-family'])) say('', 'x-lakeform-family must be storage, compute or identity');
		for (const k of ['x-lakeform-kind', 'x-lakeform-identity', 'x-lakeform-refs'])
			if (k in root) say('', `${k} on a provider resource type`);
		return problems;
	}
	if (root['x-lakeform-kind'] !== kind) say('', `x-lakeform-kind is not '${kind}'`);
	const ident = root['x-lakeform-identity'];
	if (!Array.isArray(ident) || ident.length === 0) say('', 'x-lakeform-identity missing');
	else for (const p of ident) if (!propAt(root, p)) say('', `identity field '${p}' does not exist`);
	for (const r of root['x-lakeform-refs'] || []) {
		const target = path.join(path.dirname(file), `${r.kind}.schema.json`);
		if (!fs.existsSync(target)) { say('', `ref to unknown kind '${r.kind}'`); continue; }
		const other = JSON.parse(fs.readFileSync(target, 'utf8'));
		if (!Array.isArray(r.fields) || r.fields.length !== (other['x-lakeform-identity'] || []).length)
			say('', `ref to ${r.kind}: ${r.fields} does not match its identity`);
		for (const p of r.fields || []) if (!propAt(root, p)) say('', `ref field '${p}' does not exist`);
	}
	const privs = root['x-lakeform-privileges'];
	if (kind === 'Grant') {
		const types = ((propAt(root, 'spec.securable.type') || {}).enum) || [];
		// one table: privilege -> {on: [securables], access: [read|write]}
		if (!privs || typeof privs !== 'object') say('', 'x-lakeform-privileges missing');
		else {
			const on = new Set();
			for (const [p, e] of Object.entries(privs)) {
				if (!/^[A-Z][A-Z_]*$/.test(p)) say('', `privilege '${p}' not upper case`);
				const keys = Object.keys(e || {}).sort().join(',');
				if (keys !== 'access,on') { say('', `privilege '${p}' must have exactly 'on' and 'access'`); continue; }
				if (!Array.isArray(e.on) || e.on.length === 0) say('', `privilege '${p}': 'on' must list securables`);
				else for (const t of e.on) {
					if (!types.includes(t) && !UNMANAGED.includes(t)) say('', `privilege '${p}' on unknown securable '${t}'`);
					on.add(t);
				}
				if (!Array.isArray(e.access) || !e.access.every(x => x === 'read' || x === 'write'))
					say('', `access of '${p}' must list 'read' and/or 'write', or nothing`);
			}
			for (const t of SECURABLES) if (!on.has(t)) say('', `no privileges for '${t}'`);
		}
	} else if (privs) say('', 'x-lakeform-privileges outside Grant');
	return problems;
}

let bad = 0;
for (const f of process.argv.slice(2)) {
	const p = lint(f);
	if (p.length) { bad++; for (const l of p) console.log(l); }
	else console.log('OK');
}
EOF
while IFS= read -r line; do
	if [ "$line" = OK ]; then
		passed=$((passed + 1))
	else
		fail "$line"
	fi
done < <(node "$tmp/lint.js" "${schemas[@]}" 2>&1)

# ---------------------------------------------------------------- 2. documents
# prepare.js writes one line per (schema, document, expectation, label); the
# YAML documents of examples/ are split into one JSON file each.
cat >"$tmp/prepare.js" <<'EOF'
'use strict';
const fs = require('fs');
const path = require('path');
const yaml = require('js-yaml');
const [tmp] = process.argv.slice(2);

const kinds = fs.readdirSync('schemas').filter(f => f.endsWith('.schema.json'))
	.map(f => f.replace(/\.schema\.json$/, ''));
const schemaOf = k => `schemas/${k}.schema.json`;
const out = [];
const emit = (schema, doc, expect, label) => out.push([schema, doc, expect, label].join('\t'));

for (const expect of ['valid', 'invalid']) {
	const dir = `tests/schemas/examples/${expect}`;
	if (!fs.existsSync(dir)) continue;
	for (const f of fs.readdirSync(dir).filter(f => f.endsWith('.json')).sort()) {
		const file = `${dir}/${f}`;
		let kind = null;
		try {
			const d = JSON.parse(fs.readFileSync(file, 'utf8'));
			if (d && kinds.includes(d.kind)) kind = d.kind;
		} catch (e) { /* ajv reports unreadable JSON itself */ }
		if (!kind) {
			const pre = f.split(/[-.]/)[0].toLowerCase();
			kind = kinds.find(k => k.toLowerCase() === pre) || null;
		}
		emit(kind ? schemaOf(kind) : '-', file, expect, file);
	}
}

function yamlFiles(dir) {
	let r = [];
	for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
		const p = path.join(dir, e.name);
		if (e.isDirectory() && !e.name.startsWith('.')) r = r.concat(yamlFiles(p));
		else if (e.isFile() && /\.ya?ml$/.test(e.name) && e.name !== 'lakeform.yaml') r.push(p);
	}
	return r.sort();
}

// A directory whose lakeform.yaml has a base or variables is an overlay
// (docs/environments.md): its files hold ${var.NAME}, so its documents are
// checked as `lakeform export` gives them, patched and substituted, when
// LAKEFORM names the binary; the base of an overlay likewise is checked only
// through its overlays.
const { execFileSync } = require('child_process');
const settingsOf = d => {
	const f = path.join(d, 'lakeform.yaml');
	try { return fs.existsSync(f) ? yaml.load(fs.readFileSync(f, 'utf8')) || {} : {}; }
	catch (e) { return {}; }
};
const overlayDir = d => { const s = settingsOf(d); return !!(s.base || s.variables || s.patches); };
if (fs.existsSync('examples')) {
	let n = 0;
	const dirs = new Set(yamlFiles('examples').map(f => path.dirname(f)));
	for (const d of fs.readdirSync('examples', { withFileTypes: true })) {
		if (!d.isDirectory()) continue;
		for (const e of fs.readdirSync(path.join('examples', d.name), { withFileTypes: true })) {
			const sub = path.join('examples', d.name, e.name);
			if (e.isDirectory() && settingsOf(sub).base) dirs.add(sub);
		}
	}
	for (const d of [...dirs].sort()) {
		if (!overlayDir(d) || !settingsOf(d).base) continue;
		if (!process.env.LAKEFORM) {
			emit('-', d, 'valid', `${d}: an overlay, checked only with LAKEFORM set`);
			continue;
		}
		let lines;
		try { lines = execFileSync(process.env.LAKEFORM, ['-C', d, 'export'], { encoding: 'utf8' }).split('\n').filter(Boolean); }
		catch (e) { emit('-', d, 'valid', `${d}: lakeform export failed`); continue; }
		lines.forEach((l, i) => {
			const doc = JSON.parse(l);
			const json = `${tmp}/doc-${++n}.json`;
			fs.writeFileSync(json, l);
			const kind = kinds.includes(doc.kind) ? doc.kind : null;
			emit(kind ? schemaOf(kind) : '-', json, 'valid', `${d} (export)#${i + 1}`);
		});
	}
	for (const file of yamlFiles('examples')) {
		if (overlayDir(path.dirname(file))) continue;
		let docs;
		try { docs = yaml.loadAll(fs.readFileSync(file, 'utf8')); } catch (e) {
			emit('-', file, 'valid', `${file}: ${e.message.split('\n')[0]}`);
			continue;
		}
		docs.forEach((d, i) => {
			if (d === null || d === undefined) return;
			const label = `${file}#${i + 1}`;
			const json = `${tmp}/doc-${++n}.json`;
			fs.writeFileSync(json, JSON.stringify(d));
			const kind = d && kinds.includes(d.kind) ? d.kind : null;
			emit(kind ? schemaOf(kind) : '-', json, 'valid', label);
		});
	}
}
process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
EOF
if ! node "$tmp/prepare.js" "$tmp" >"$tmp/pairs" 2>"$tmp/prepare.err"; then
	fail "reading the test documents: $(head -c 300 "$tmp/prepare.err" | tr '\n' ' ')"
	finish
fi

# Run ajv once per schema over all of that schema's documents; it prints
# "FILE valid" or "FILE invalid" for each.
declare -A verdict
for s in "${schemas[@]}"; do
	args=()
	while IFS=$'\t' read -r schema doc _ _; do
		[ "$schema" = "$s" ] && args+=(-d "$doc")
	done <"$tmp/pairs"
	[ ${#args[@]} -eq 0 ] && continue
	"$ajv" validate --spec=draft7 --strict=false --errors=text -s "$s" "${args[@]}" \
		>"$tmp/out" 2>&1
	while IFS= read -r line; do
		case $line in
		*" valid") verdict[${line% valid}]=valid ;;
		*" invalid") verdict[${line% invalid}]=invalid ;;
		esac
	done <"$tmp/out"
done

while IFS=$'\t' read -r schema doc expect label; do
	if [ "$schema" = - ]; then
		fail "$label: no schema for its kind"
		continue
	fi
	got=${verdict[$doc]:-}
	if [ -z "$got" ]; then
		fail "$label: ajv gave no verdict"
	elif [ "$got" != "$expect" ]; then
		fail "$label: expected $expect, ajv says $got"
	else
		passed=$((passed + 1))
	fi
done <"$tmp/pairs"

# ---------------------------------------------------------------- 3. LF_VALIDATOR
if [ -n "${LF_VALIDATOR:-}" ]; then
	while IFS=$'\t' read -r schema doc _ label; do
		[ "$schema" = - ] && continue
		got=${verdict[$doc]:-}
		[ -z "$got" ] && continue
		# Word splitting of $LF_VALIDATOR is wanted: it may carry arguments.
		# shellcheck disable=SC2086
		$LF_VALIDATOR "$schema" "$doc" >/dev/null 2>&1 </dev/null
		rc=$?
		case $rc in
		0) mine=valid ;;
		1) mine=invalid ;;
		*)
			fail "$label: LF_VALIDATOR exited $rc"
			continue
			;;
		esac
		if [ "$mine" = "$got" ]; then
			passed=$((passed + 1))
		else
			fail "$label: LF_VALIDATOR says $mine, ajv says $got"
		fi
	done <"$tmp/pairs"
fi

finish
