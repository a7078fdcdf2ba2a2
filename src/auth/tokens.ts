import { createSecretKey, type KeyObject } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { isRole, type Role } from './roles';

/** Who is calling, from a verified token. hospitalId is the tenant every query is confined to. */
export interface Principal {
  userId: string;
  hospitalId: number;
  role: Role;
}

export type VerifyResult = { ok: true; principal: Principal } | { ok: false; reason: string };

export interface TokenService {
  /** Verifies `Authorization: Bearer …`; never throws. */
  /**
   * Verifies `Authorization: Bearer …`; never throws. A token verified before answers without
   * a promise (the cache-hit path awaits nothing it does not need to).
   */
  verifyHeader(header: string | undefined): VerifyResult | Promise<VerifyResult>;
  sign(claims: { sub: string; hospitalId: string; role: Role }, expiresIn?: string): Promise<string>;
}

export interface TokenServiceOptions {
  /** How many verified tokens to remember (see `createVerifiedCache`); 0 turns it off. Default 10,000. */
  verifiedCacheSize?: number;
  /** Epoch ms; tests move the clock. */
  now?: () => number;
}

const HOSPITAL_ID = /^[1-9][0-9]{0,9}$/;
const BEARER = /^Bearer\s+(\S+)\s*$/i;

interface Verified {
  result: VerifyResult & { ok: true };
  /** jose's time checks in ms: valid while notBefore ≤ now < expiresAt (see `timeWindow`). */
  notBefore: number;
  expiresAt: number;
}

/**
 * jose (no clock tolerance) rejects `exp <= floor(now / 1000)` and `nbf > floor(now / 1000)`;
 * in ms that is exactly: valid while `ceil(exp) * 1000 > now` and `floor(nbf) * 1000 <= now`.
 */
function timeWindow(payload: { exp?: unknown; nbf?: unknown }): { notBefore: number; expiresAt: number } | null {
  if (typeof payload.exp !== 'number') return null; // no expiry: verified every time, never remembered
  return { expiresAt: Math.ceil(payload.exp) * 1000, notBefore: typeof payload.nbf === 'number' ? Math.floor(payload.nbf) * 1000 : -Infinity };
}

/**
 * Verified tokens by their exact text, so a client repeating its token (every dashboard does)
 * costs a Map lookup instead of an HMAC and a JSON parse. Sound because, for one process-wide
 * secret, the verdict on a given token text changes only with time, and the time checks are
 * redone on every use with jose's own rule. Only successes are kept (a failure may be
 * retried with the same text after nbf, and must not let anyone fill the map); the map is
 * bounded and drops its oldest entry when full. The secret is fixed for the service's life.
 */
function createVerifiedCache(size: number, now: () => number) {
  const entries = new Map<string, Verified>();
  return {
    get(token: string): VerifyResult | undefined {
      const hit = entries.get(token);
      if (!hit) return undefined;
      const t = now();
      if (t < hit.expiresAt && t >= hit.notBefore) return hit.result;
      if (t >= hit.expiresAt) entries.delete(token);
      return undefined; // expired or not yet valid: jose decides, with its own error
    },
    set(token: string, value: Verified): void {
      if (size <= 0) return;
      if (entries.size >= size) entries.delete(entries.keys().next().value as string);
      entries.set(token, value);
    },
  };
}

/**
 * HS256 only: `algorithms` is pinned, so `none` and RS/ES tokens are refused. The secret is
 * turned into a KeyObject once, not per request.
 */
export function createTokenService(secret: string, options: TokenServiceOptions = {}): TokenService {
  const key: KeyObject = createSecretKey(Buffer.from(secret, 'utf8'));
  const now = options.now ?? Date.now;
  const verified = createVerifiedCache(options.verifiedCacheSize ?? 10_000, now);

  async function verify(token: string): Promise<VerifyResult> {
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], currentDate: new Date(now()) });
      const { sub, hospitalId, role } = payload as Record<string, unknown>;
      if (typeof sub !== 'string' || sub.length === 0) return { ok: false, reason: 'token has no sub claim' };
      if (typeof hospitalId !== 'string' || !HOSPITAL_ID.test(hospitalId)) {
        return { ok: false, reason: 'token has no valid hospitalId claim' };
      }
      if (!isRole(role)) return { ok: false, reason: 'token has no valid role claim' };
      // Frozen: a remembered result is shared by every request that presents the same token.
      const result = Object.freeze({ ok: true as const, principal: Object.freeze({ userId: sub, hospitalId: Number(hospitalId), role }) });
      const window = timeWindow(payload);
      if (window) verified.set(token, { result, ...window });
      return result;
    } catch (err) {
      if (err instanceof errors.JWTExpired) return { ok: false, reason: 'token has expired' };
      return { ok: false, reason: 'token is invalid' };
    }
  }

  return {
    verifyHeader(header) {
      if (!header) return { ok: false, reason: 'missing Authorization header' };
      const match = BEARER.exec(header);
      if (!match) return { ok: false, reason: 'Authorization header must be "Bearer <token>"' };
      return verified.get(match[1]) ?? verify(match[1]);
    },
    async sign(claims, expiresIn = '12h') {
      return new SignJWT({ hospitalId: claims.hospitalId, role: claims.role })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(claims.sub)
        .setIssuedAt()
        .setExpirationTime(expiresIn)
        .sign(key);
    },
  };
}
