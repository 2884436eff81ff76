// A real OpenID provider for Greenroom's sign-in tests: panva's oidc-provider (OpenID Certified), on 127.0.0.1.
//
// Configured by the JSON in GREENROOM_IDP_CONFIG:
//   {"clients": [{"client_id", "client_secret", "redirect_uris", "id_token_signed_response_alg"?}],
//    "users": [{"login", "password", "email", "name", "groups"}], "ready_file": "/path"}
// It listens on a free port of 127.0.0.1 (the OS picks it, so parallel runs never collide), then writes its
// issuer URL to `ready_file`. Signing keys (RS256 and ES256) are made at start; nothing is stored on disk.
// People sign in through the interaction pages below (a login form, then a consent form), as in production.

import { generateKeyPairSync, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";

import Provider from "oidc-provider";

const config = JSON.parse(process.env.GREENROOM_IDP_CONFIG ?? "{}");
const users = new Map((config.users ?? []).map((u) => [u.login, u]));

function signingKey(type, options, alg) {
  const { privateKey } = generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: "jwk" }), kid: `${alg.toLowerCase()}-${randomBytes(4).toString("hex")}`,
           alg, use: "sig" };
}

const jwks = { keys: [signingKey("rsa", { modulusLength: 2048 }, "RS256"),
                      signingKey("ec", { namedCurve: "P-256" }, "ES256")] };

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res, status, title, body) {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head>`
          + `<body><main><h1>${escape(title)}</h1>${body}</main></body></html>`);
}

function loginForm(res, uid, client, error) {
  page(res, error ? 401 : 200, "Sign in to the test provider",
       `<p>Signing in to <b>${escape(client)}</b>.</p>`
       + (error ? `<p role="alert">${escape(error)}</p>` : "")
       + `<form method="post" action="/interaction/${escape(uid)}/login">`
       + `<label>Email <input name="login" type="email" autocomplete="username" required autofocus></label>`
       + `<label>Password <input name="password" type="password" autocomplete="current-password" required></label>`
       + `<button type="submit">Sign in</button></form>`);
}

function consentForm(res, uid, client, scopes) {
  page(res, 200, "Allow access",
       `<p><b>${escape(client)}</b> asks to read: ${escape(scopes.join(", "))}.</p>`
       + `<form method="post" action="/interaction/${escape(uid)}/confirm"><button type="submit">Allow</button></form>`
       + `<form method="post" action="/interaction/${escape(uid)}/abort"><button type="submit">Deny</button></form>`);
}

async function form(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

const server = createServer();
server.listen(0, "127.0.0.1", () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: (config.clients ?? []).map((c) => ({ grant_types: ["authorization_code"], response_types: ["code"],
                                                   token_endpoint_auth_method: "client_secret_basic", ...c })),
    jwks,
    cookies: { keys: [randomBytes(32).toString("hex")] },
    pkce: { required: () => true },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "preferred_username"],
              groups: ["groups"] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, sub) {
      const user = users.get(sub);
      if (!user) return undefined;
      return { accountId: sub, claims: async () => ({
        sub, email: user.email, email_verified: true, name: user.name, preferred_username: user.login,
        groups: user.groups ?? [] }) };
    },
  });

  async function interaction(req, res) {
    const [, , uid, action] = new URL(req.url, issuer).pathname.split("/");
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) return page(res, 400, "Wrong interaction", "<p>Start signing in again.</p>");
    const client = details.params.client_id;
    if (req.method === "GET") {
      if (details.prompt.name === "login") return loginForm(res, uid, client);
      return consentForm(res, uid, client, String(details.params.scope ?? "").split(" "));
    }
    const fields = await form(req);
    if (action === "login") {
      const user = users.get(fields.get("login") ?? "");
      if (!user || user.password !== fields.get("password")) {
        return loginForm(res, uid, client, "Wrong email or password.");
      }
      return provider.interactionFinished(req, res, { login: { accountId: user.login } },
                                          { mergeWithLastSubmission: false });
    }
    if (action === "abort") {
      return provider.interactionFinished(req, res, { error: "access_denied",
                                                      error_description: "the person denied access" });
    }
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details;
    const grant = details.grantId ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: client });
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(" "));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(" "));
    }
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: details.grantId ? {} : { grantId } },
                                        { mergeWithLastSubmission: true });
  }

  const handle = provider.callback();
  server.on("request", (req, res) => {
    if (!req.url.startsWith("/interaction/")) return handle(req, res);
    interaction(req, res).catch((err) => {
      console.error(err);
      if (!res.headersSent) page(res, 400, "Sign-in failed", `<p>${escape(err.message)}</p>`);
    });
  });
  if (config.ready_file) writeFileSync(config.ready_file, issuer);
  console.log(`oidc-provider listening at ${issuer}`);
});

for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
