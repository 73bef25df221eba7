// A real OpenID Connect provider (panva/oidc-provider, certified) for Homeward's tests.
//
// Started by tests/support/oidc.py with its settings in HOMEWARD_TEST_OIDC (JSON): port,
// client (id, secret, redirect and post-logout addresses) and accounts (subject + claims,
// and optionally the amr and acr of their sign-in).
// It signs people in through its own small sign-in page (any listed subject, no password),
// requires PKCE, and puts the requested claims in the ID token, as Entra ID and Keycloak do.
//
// For the tests of bad tokens, POST /__test/next-id-token (JSON) changes the next ID token
// the token endpoint returns: {"claims": {...}} overrides claims (iss, aud, nonce, exp ...),
// {"foreign_key": true} signs it with a key the provider never published. Nothing else is
// faked: codes, PKCE, state, sessions and sign-out are the provider's own.
import { createServer } from 'node:http';
import { generateKeyPair, exportJWK, decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import Provider from 'oidc-provider';

const config = JSON.parse(process.env.HOMEWARD_TEST_OIDC ?? '{}');
const port = Number(config.port);
const issuer = `http://127.0.0.1:${port}`;

const signing = await generateKeyPair('RS256', { extractable: true });
const foreign = await generateKeyPair('RS256', { extractable: true });
const publishedKey = { ...(await exportJWK(signing.privateKey)), kid: 'homeward-test-1', alg: 'RS256', use: 'sig' };

const accounts = new Map((config.accounts ?? []).map((account) => [account.sub, account]));
let nextIdToken = null;

const page = (title, body) => `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>${title}</title></head><body><main><h1>${title}</h1>${body}</main></body></html>`;
const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const provider = new Provider(issuer, {
  clients: [{
    client_id: config.client.id,
    client_secret: config.client.secret,
    redirect_uris: config.client.redirect_uris,
    post_logout_redirect_uris: config.client.post_logout_redirect_uris,
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [publishedKey] },
  cookies: { keys: ['homeward-test-cookie-key'] },
  pkce: { required: () => true },
  conformIdTokenClaims: false,
  // How the person signed in (acr, amr) goes in every ID token, as Okta and Keycloak send it.
  acrValues: ['gold'],
  claims: {
    openid: ['sub', 'acr', 'amr'],
    email: ['email', 'email_verified'],
    profile: ['name', 'oid', 'preferred_username'],
    groups: ['groups'],
  },
  scopes: ['openid', 'email', 'profile', 'groups'],
  ttl: { AuthorizationCode: 60, IdToken: 3600, AccessToken: 3600, Session: 3600, Interaction: 600, Grant: 3600 },
  findAccount: async (_ctx, id) => {
    const account = accounts.get(id);
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...account.claims }) };
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        ctx.body = page('Sign out of the test identity provider',
          `${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>`);
      },
      postLogoutSuccessSource: async (ctx) => {
        ctx.body = page('Signed out of the test identity provider', '<p>You have signed out.</p>');
      },
    },
  },
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    ctx.body = page('Identity provider error', `<p id="error">${escape(out.error)}: ${escape(out.error_description ?? '')}</p>`);
  },
});

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

provider.use(async (ctx, next) => {
  if (ctx.method === 'POST' && ctx.path === '/__test/next-id-token') {
    nextIdToken = JSON.parse(await readBody(ctx.req));
    ctx.status = 204;
    return;
  }
  const interaction = ctx.path.match(/^\/interaction\/([\w-]+)(\/login)?$/);
  if (interaction) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const { prompt, params } = details;
    const finish = async (accountId) => {
      const grant = details.grantId ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId, clientId: params.client_id });
      grant.addOIDCScope(params.scope);
      const grantId = await grant.save();
      const result = { consent: { grantId } };
      if (prompt.name === 'login') {
        // How the person signed in, as the provider reports it in the ID token's amr and acr
        // (an account's "amr" and "acr" in the settings: a second factor used, or not).
        const { amr, acr } = accounts.get(accountId) ?? {};
        result.login = { accountId, ...(amr ? { amr } : {}), ...(acr ? { acr } : {}) };
      }
      const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
      ctx.status = 303;
      ctx.redirect(to);
    };
    if (prompt.name === 'consent') {
      await finish(details.session.accountId);
      return;
    }
    if (ctx.method === 'POST' && interaction[2]) {
      const form = new URLSearchParams(await readBody(ctx.req));
      const login = form.get('login') ?? '';
      if (!accounts.has(login)) {
        ctx.status = 200;
        ctx.type = 'html';
        ctx.body = page('Sign in to the test identity provider', `<p id="error">Unknown user</p>`);
        return;
      }
      await finish(login);
      return;
    }
    ctx.type = 'html';
    ctx.body = page('Sign in to the test identity provider', `
      <form method="post" action="/interaction/${escape(details.uid)}/login">
        <label for="login">Username</label>
        <input id="login" name="login" autocomplete="username">
        <button type="submit">Sign in</button>
      </form>`);
    return;
  }
  await next();
  if (ctx.path === '/token' && ctx.status === 200 && nextIdToken && ctx.body?.id_token) {
    const change = nextIdToken;
    nextIdToken = null;
    const claims = { ...decodeJwt(ctx.body.id_token), ...(change.claims ?? {}) };
    const header = decodeProtectedHeader(ctx.body.id_token);
    const key = change.foreign_key ? foreign.privateKey : signing.privateKey;
    ctx.body.id_token = await new SignJWT(claims).setProtectedHeader(header).sign(key);
  }
});

createServer(provider.callback()).listen(port, '127.0.0.1', () => {
  console.log(`test identity provider at ${issuer}`);
});
