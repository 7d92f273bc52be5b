// server.js PORT MODULES_DIR - an OpenID Provider for the oidc layer:
// npm's oidc-provider (a certified implementation of OpenID Connect),
// installed by run.sh into MODULES_DIR (its node_modules), serving its
// discovery document (/.well-known/openid-configuration) and its key set
// on http://127.0.0.1:PORT.  The issuer is that URL exactly.  Scopes:
// openid, offline_access and those of `claims` below (email, profile,
// groups); claims_supported lists their claims.  Stopped by its pid.
import http from 'node:http';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const [port, modules] = process.argv.slice(2);
if (!port || !modules) {
  console.error('usage: node server.js PORT MODULES_DIR');
  process.exit(2);
}
const entry = path.join(modules, 'oidc-provider', 'lib', 'index.js');
const { default: Provider } = await import(pathToFileURL(entry).href);

// a signing key of its own, so that the key set is a real one (not the
// development key oidc-provider warns about)
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'lakeform-test', use: 'sig', alg: 'RS256' };

const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  jwks: { keys: [jwk] },
  clients: [{
    client_id: 'lakeform',
    client_secret: 'a-secret-only-this-test-knows',
    redirect_uris: ['http://127.0.0.1/callback'],
  }],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
    groups: ['groups'],
  },
  findAccount: async (ctx, id) => ({ accountId: id, claims: async () => ({ sub: id }) }),
});

const server = http.createServer(provider.callback());
server.listen(Number(port), '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
