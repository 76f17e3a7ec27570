// Over 300 lines on purpose: the verification steps are one algorithm, read top to bottom in the order they run.
import type { Clock } from '../clock.js';
import type { IdpKeyCache } from './cache.js';
import { decodeJwt, type DecodedJwt } from './jwt-decode.js';
import { ASYMMETRIC_ALGS, verifySignature } from './keys.js';
import { TENANT_PLACEHOLDER } from './presets.js';
import type { IdpVerificationConfig } from './types.js';

/**
 * Verifies a JWT issued by an organization's identity provider, as a list of
 * named steps so the token-exchange grant (stops at the first failure), the
 * gateway and the `explain` action (runs every step) share one implementation.
 *
 * Never trusted from the token: the key (`jku`, `x5u`, `jwk`, `x5c` are
 * ignored; keys come only from the IdP's JWKS through the cache), the
 * algorithm family (pinned per key; `none` and HMAC refused), critical
 * extensions (`crit` is refused since none is understood).
 */

/**
 * A token without `kid` is tried against at most this many of the IdP's keys
 * for its algorithm; with more candidates it is refused (`kid_required`), so
 * one token can never cost a signature check per published key.
 */
const MAX_KIDLESS_CANDIDATES = 3;

export type ExpectedTokenType = 'access_token' | 'id_token' | 'jwt';
export type TokenKind = 'access_token' | 'id_token' | 'unmarked';

export type VerifyStep = 'format' | 'header' | 'issuer' | 'signature' | 'expiry' | 'not-before' | 'issued-at' | 'audience' | 'token-type' | 'subject' | 'client-id';

export type VerifyFailureCode =
  | 'too_large'
  | 'malformed'
  | 'alg_none'
  | 'alg_hmac'
  | 'alg_unsupported'
  | 'crit_unsupported'
  | 'issuer_mismatch'
  | 'tenant_not_allowed'
  | 'keys_unavailable'
  | 'keys_stale'
  | 'unknown_kid'
  | 'no_matching_key'
  | 'kid_required'
  | 'bad_signature'
  | 'exp_missing'
  | 'expired'
  | 'exp_too_far'
  | 'not_yet_valid'
  | 'iat_future'
  | 'too_old'
  | 'audience_mismatch'
  | 'token_type_mismatch'
  | 'subject_missing'
  | 'client_id_missing';

export interface StepResult {
  step: VerifyStep;
  ok: boolean;
  /** Set when `ok` is false. */
  code?: VerifyFailureCode;
  /** What was checked and what was found; never contains the token itself. */
  message: string;
}

export interface VerifiedIdpToken {
  claims: Record<string, unknown>;
  subject: string;
  clientId: string | undefined;
  kind: TokenKind;
  /** Epoch seconds. */
  expiresAt: number;
  tenantId?: string;
}

export type IdpTokenResult = { ok: true; token: VerifiedIdpToken; steps: StepResult[] } | { ok: false; failure: StepResult; steps: StepResult[] };

export interface VerifyOptions {
  keys: IdpKeyCache;
  clock: Clock;
  /** What the presenter declared the token to be (RFC 8693 `subject_token_type`). */
  expectedType?: ExpectedTokenType;
  /** The client-ID claim must be present (direct external tokens at the gateway). */
  requireClientId?: boolean;
  /** Run every step even after a failure (the `explain` action). */
  allSteps?: boolean;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Matches an issuer against a `{tenantid}` template; returns the tenant or undefined. */
export function matchIssuerTemplate(template: string, issuer: string): string | undefined {
  const [before, after] = template.split(TENANT_PLACEHOLDER) as [string, string | undefined];
  if (after === undefined) return undefined;
  const m = new RegExp(`^${escapeRegExp(before)}([A-Za-z0-9._-]{1,64})${escapeRegExp(after)}$`).exec(issuer);
  return m?.[1];
}

type IssuerShape = Pick<IdpVerificationConfig, 'issuer' | 'issuerTemplate' | 'allowedTenantIds'>;

/** The IdP accepts tokens with this `iss`: its exact issuer, or its template with one of its allowed tenants. */
export function acceptsIssuer(idp: IssuerShape, issuer: string): boolean {
  if (idp.issuerTemplate) {
    const tenant = matchIssuerTemplate(idp.issuerTemplate, issuer)?.toLowerCase();
    return tenant !== undefined && idp.allowedTenantIds.some((t) => t.toLowerCase() === tenant);
  }
  return idp.issuer === issuer;
}

/**
 * The IdPs a token with this `iss` may come from (its issuer unverified): the
 * exact issuer, or a tenant template it matches. Whether the tenant is
 * allowed is left to the verifier, which then says which tenant was refused;
 * `acceptsIssuer` is the stricter check.
 */
export function issuerCandidates<T extends IssuerShape>(idps: readonly T[], issuer: string): T[] {
  return idps.filter((idp) => (idp.issuerTemplate != null ? matchIssuerTemplate(idp.issuerTemplate, issuer) !== undefined : idp.issuer === issuer));
}

/** The concrete issuers an IdP accepts: its exact issuer, or its template filled with each allowed tenant. */
function concreteIssuers(idp: IssuerShape): string[] {
  if (idp.issuerTemplate) return idp.allowedTenantIds.map((t) => idp.issuerTemplate!.replace(TENANT_PLACEHOLDER, t));
  return idp.issuer === null ? [] : [idp.issuer];
}

/**
 * An issuer both IdPs would accept, or undefined: the same exact issuer, the
 * same template, or an exact issuer (or a template's allowed tenant) that
 * the other's template accepts with one of its tenants. Checked both ways.
 */
export function sharedIssuer(a: IssuerShape, b: IssuerShape): string | undefined {
  if (a.issuerTemplate && a.issuerTemplate === b.issuerTemplate) return a.issuerTemplate;
  return concreteIssuers(a).find((iss) => acceptsIssuer(b, iss)) ?? concreteIssuers(b).find((iss) => acceptsIssuer(a, iss));
}

/**
 * A concrete issuer both IdPs accept, or undefined: exact issuers, or
 * templates filled with their allowed tenants. Unlike `sharedIssuer`, one
 * template with disjoint tenants is no overlap: two organizations may each
 * allow their own tenants of a multi-tenant issuer.
 */
export function sharedConcreteIssuer(a: IssuerShape, b: IssuerShape): string | undefined {
  return concreteIssuers(a).find((iss) => acceptsIssuer(b, iss)) ?? concreteIssuers(b).find((iss) => acceptsIssuer(a, iss));
}

const iso = (seconds: number) => {
  const d = new Date(seconds * 1000);
  return Number.isNaN(d.getTime()) ? String(seconds) : d.toISOString();
};

const isNumericDate = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function describeKey(key: { kty: string; crv?: string; algs: ReadonlySet<string> }): string {
  return `${key.kty}${key.crv ? ` ${key.crv}` : ''} key (allowed: ${[...key.algs].join(', ')})`;
}

/** Classifies a token as access token or ID token from the IdP's marking convention. */
function tokenKind(idp: Pick<IdpVerificationConfig, 'tokenTyping'>, decoded: DecodedJwt): TokenKind | { foreign: string } {
  const typ = typeof decoded.header.typ === 'string' ? decoded.header.typ.toLowerCase().replace(/^application\//, '') : undefined;
  if (typ === 'at+jwt') return 'access_token';
  if (typ !== undefined && typ !== 'jwt') return { foreign: decoded.header.typ as string };
  switch (idp.tokenTyping) {
    case 'at+jwt':
      return 'id_token';
    case 'claim': {
      const claim = decoded.payload.typ;
      if (claim === 'Bearer') return 'access_token';
      if (claim === 'ID') return 'id_token';
      return 'unmarked';
    }
    default:
      return 'unmarked';
  }
}

const TYPE_LABEL: Record<ExpectedTokenType, string> = { access_token: 'an access token', id_token: 'an ID token', jwt: 'a JWT' };

export async function verifyIdpToken(idp: IdpVerificationConfig, token: string | DecodedJwt, options: VerifyOptions): Promise<IdpTokenResult> {
  const steps: StepResult[] = [];
  let failure: StepResult | undefined;
  const record = (step: VerifyStep, ok: boolean, message: string, code?: VerifyFailureCode): boolean => {
    const r: StepResult = ok ? { step, ok, message } : { step, ok, code, message };
    steps.push(r);
    if (!ok) failure ??= r;
    return ok;
  };
  const stop = () => failure !== undefined && !options.allSteps;

  // format
  const decoded = typeof token === 'string' ? decodeJwt(token) : token;
  if ('step' in decoded) {
    steps.push(decoded);
    return { ok: false, failure: decoded, steps };
  }
  const { header, payload } = decoded;
  record('format', true, 'A signed JWT with a JSON header and payload');

  // header
  const alg = header.alg;
  let algOk = false;
  if (typeof alg !== 'string') record('header', false, 'The header has no "alg"', 'malformed');
  else if (alg.toLowerCase() === 'none') record('header', false, 'alg "none" (unsigned token) is never accepted', 'alg_none');
  else if (/^HS\d+$/i.test(alg)) record('header', false, `alg ${alg} (HMAC) is never accepted for identity provider tokens: they must be signed with the IdP's private key`, 'alg_hmac');
  else if (!ASYMMETRIC_ALGS.has(alg)) record('header', false, `alg ${alg} is not supported (supported: ${[...ASYMMETRIC_ALGS].join(', ')})`, 'alg_unsupported');
  else if (header.crit !== undefined) record('header', false, 'The header lists critical extensions ("crit") and none is supported', 'crit_unsupported');
  else if (header.kid !== undefined && typeof header.kid !== 'string') record('header', false, 'The header "kid" is not a string', 'malformed');
  else {
    const ignored = ['jku', 'x5u', 'jwk', 'x5c'].filter((h) => header[h] !== undefined);
    algOk = record(
      'header',
      true,
      `alg ${alg}${typeof header.kid === 'string' ? `, kid ${JSON.stringify(header.kid)}` : ', no kid'}${ignored.length ? `; ${ignored.join(', ')} ignored (keys come only from the IdP's JWKS)` : ''}`,
    );
  }
  if (stop()) return { ok: false, failure: failure!, steps };

  // issuer
  const iss = payload.iss;
  let tenantId: string | undefined;
  if (typeof iss !== 'string') record('issuer', false, 'The token has no "iss" claim', 'issuer_mismatch');
  else if (idp.issuerTemplate) {
    const tenant = matchIssuerTemplate(idp.issuerTemplate, iss);
    const allowed = idp.allowedTenantIds.map((t) => t.toLowerCase());
    if (!tenant) record('issuer', false, `Issuer ${JSON.stringify(iss)} does not match ${JSON.stringify(idp.issuerTemplate)}`, 'issuer_mismatch');
    else if (!allowed.includes(tenant.toLowerCase()))
      record('issuer', false, `Tenant ${JSON.stringify(tenant)} is not among the allowed tenant IDs of identity provider "${idp.name}"`, 'tenant_not_allowed');
    else if (typeof payload.tid !== 'string' || payload.tid.toLowerCase() !== tenant.toLowerCase())
      record('issuer', false, `The "tid" claim does not agree with the issuer's tenant ${JSON.stringify(tenant)}`, 'tenant_not_allowed');
    else {
      tenantId = tenant;
      record('issuer', true, `Issuer ${JSON.stringify(iss)} (tenant ${tenant})`);
    }
  } else if (iss !== idp.issuer) record('issuer', false, `Issuer ${JSON.stringify(iss)} is not the issuer of identity provider "${idp.name}" (${JSON.stringify(idp.issuer)})`, 'issuer_mismatch');
  else record('issuer', true, `Issuer ${JSON.stringify(iss)}`);
  if (stop()) return { ok: false, failure: failure!, steps };

  // signature
  if (!algOk) record('signature', false, 'Not checked: the header is not acceptable', 'alg_unsupported');
  else {
    const kid = typeof header.kid === 'string' ? header.kid : undefined;
    const lookup = await options.keys.keysFor(idp, kid);
    if (!lookup.ok) record('signature', false, lookup.message, lookup.code);
    else {
      const candidates = lookup.keys.filter((k) => k.algs.has(alg as string));
      if (candidates.length === 0) {
        record(
          'signature',
          false,
          kid !== undefined && lookup.keys[0] ? `The key ${JSON.stringify(kid)} is an ${describeKey(lookup.keys[0])} and may not verify ${String(alg)}` : `No published key may verify ${String(alg)}`,
          'no_matching_key',
        );
      } else if (kid === undefined && candidates.length > MAX_KIDLESS_CANDIDATES) {
        record(
          'signature',
          false,
          `The token has no "kid" and identity provider "${idp.name}" publishes ${candidates.length} keys that may verify ${String(alg)}; a token without kid is checked against at most ${MAX_KIDLESS_CANDIDATES}, so it must name its key`,
          'kid_required',
        );
      } else if (candidates.some((k) => verifySignature(alg as string, k, decoded.signingInput, decoded.signature))) {
        record('signature', true, `Signature valid (${String(alg)}, key ${kid !== undefined ? JSON.stringify(kid) : 'without kid'})`);
      } else {
        record('signature', false, "The signature does not verify with the identity provider's published keys", 'bad_signature');
      }
    }
  }
  if (stop()) return { ok: false, failure: failure!, steps };

  // times
  const now = Math.floor(options.clock.now() / 1000);
  const skew = idp.clockSkew;
  const exp = payload.exp;
  if (exp === undefined) record('expiry', false, 'The token has no "exp" claim; tokens without an expiry are not accepted', 'exp_missing');
  else if (!isNumericDate(exp)) record('expiry', false, '"exp" is not a number', 'malformed');
  else if (now > exp + skew) record('expiry', false, `The token expired at ${iso(exp)} (allowed clock skew ${skew} s)`, 'expired');
  else if (exp - now > idp.maxTokenAge + skew) record('expiry', false, `"exp" (${iso(exp)}) is further in the future than the maximum token age of ${idp.maxTokenAge} s allows`, 'exp_too_far');
  else record('expiry', true, `Expires at ${iso(exp)}`);
  if (stop()) return { ok: false, failure: failure!, steps };

  const nbf = payload.nbf;
  if (nbf === undefined) record('not-before', true, 'No "nbf" claim');
  else if (!isNumericDate(nbf)) record('not-before', false, '"nbf" is not a number', 'malformed');
  else if (nbf > now + skew) record('not-before', false, `The token is not valid before ${iso(nbf)} (allowed clock skew ${skew} s)`, 'not_yet_valid');
  else record('not-before', true, `Valid since ${iso(nbf)}`);
  if (stop()) return { ok: false, failure: failure!, steps };

  const iat = payload.iat;
  if (iat === undefined) record('issued-at', true, 'No "iat" claim');
  else if (!isNumericDate(iat)) record('issued-at', false, '"iat" is not a number', 'malformed');
  else if (iat > now + skew) record('issued-at', false, `The token claims to be issued in the future (${iso(iat)}; allowed clock skew ${skew} s)`, 'iat_future');
  else if (now - iat > idp.maxTokenAge + skew) record('issued-at', false, `The token was issued at ${iso(iat)}, longer ago than the maximum token age of ${idp.maxTokenAge} s`, 'too_old');
  else record('issued-at', true, `Issued at ${iso(iat)}`);
  if (stop()) return { ok: false, failure: failure!, steps };

  // audience
  const aud = payload.aud;
  const auds = typeof aud === 'string' ? [aud] : Array.isArray(aud) && aud.every((a) => typeof a === 'string') ? (aud as string[]) : undefined;
  if (!auds || auds.length === 0) record('audience', false, 'The token has no usable "aud" claim', 'audience_mismatch');
  else {
    const match = auds.find((a) => idp.audiences.includes(a));
    if (match) record('audience', true, `Audience ${JSON.stringify(match)} is allowed`);
    else record('audience', false, `None of the token's audiences (${auds.map((a) => JSON.stringify(a)).join(', ')}) is allowed for identity provider "${idp.name}"`, 'audience_mismatch');
  }
  if (stop()) return { ok: false, failure: failure!, steps };

  // token type
  const kind = tokenKind(idp, decoded);
  const expected = options.expectedType;
  if (typeof kind === 'object') record('token-type', false, `The token's "typ" is ${JSON.stringify(kind.foreign)}, which is neither an access token nor an ID token`, 'token_type_mismatch');
  else if (expected === 'access_token' && kind === 'id_token') record('token-type', false, `An ID token was presented where ${TYPE_LABEL[expected]} was declared`, 'token_type_mismatch');
  else if (expected === 'id_token' && kind === 'access_token') record('token-type', false, `An access token was presented where ${TYPE_LABEL[expected]} was declared`, 'token_type_mismatch');
  else record('token-type', true, kind === 'unmarked' ? 'The identity provider does not mark token types' : `The token is ${kind === 'access_token' ? 'an access token' : 'an ID token'}`);
  if (stop()) return { ok: false, failure: failure!, steps };

  // subject
  const subject = payload[idp.subjectClaim];
  if (typeof subject !== 'string' || subject === '' || subject.length > 512) record('subject', false, `The subject claim "${idp.subjectClaim}" is missing or not a usable string`, 'subject_missing');
  else record('subject', true, `Subject (${idp.subjectClaim}) ${JSON.stringify(subject)}`);
  if (stop()) return { ok: false, failure: failure!, steps };

  // client id
  const claimName = idp.clientIdClaims.find((c) => typeof payload[c] === 'string' && payload[c] !== '');
  const clientId = claimName ? (payload[claimName] as string) : undefined;
  if (clientId !== undefined) record('client-id', true, `Client ID (${claimName}) ${JSON.stringify(clientId)}`);
  else if (options.requireClientId) record('client-id', false, `None of the client-ID claims (${idp.clientIdClaims.join(', ')}) is present`, 'client_id_missing');
  else record('client-id', true, `No client-ID claim (${idp.clientIdClaims.join(', ')}) present; not required here`);

  if (failure) return { ok: false, failure, steps };
  return {
    ok: true,
    steps,
    token: { claims: payload, subject: subject as string, clientId, kind: typeof kind === 'string' ? kind : 'unmarked', expiresAt: exp as number, ...(tenantId && { tenantId }) },
  };
}
