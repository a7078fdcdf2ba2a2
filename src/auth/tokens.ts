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
  verifyHeader(header: string | undefined): Promise<VerifyResult>;
  sign(claims: { sub: string; hospitalId: string; role: Role }, expiresIn?: string): Promise<string>;
}

const HOSPITAL_ID = /^[1-9][0-9]{0,9}$/;

/**
 * HS256 only: `algorithms` is pinned, so `none` and RS/ES tokens are refused. The secret is
 * turned into a KeyObject once, not per request.
 */
export function createTokenService(secret: string): TokenService {
  const key: KeyObject = createSecretKey(Buffer.from(secret, 'utf8'));

  async function verify(token: string): Promise<VerifyResult> {
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
      const { sub, hospitalId, role } = payload as Record<string, unknown>;
      if (typeof sub !== 'string' || sub.length === 0) return { ok: false, reason: 'token has no sub claim' };
      if (typeof hospitalId !== 'string' || !HOSPITAL_ID.test(hospitalId)) {
        return { ok: false, reason: 'token has no valid hospitalId claim' };
      }
      if (!isRole(role)) return { ok: false, reason: 'token has no valid role claim' };
      return { ok: true, principal: { userId: sub, hospitalId: Number(hospitalId), role } };
    } catch (err) {
      if (err instanceof errors.JWTExpired) return { ok: false, reason: 'token has expired' };
      return { ok: false, reason: 'token is invalid' };
    }
  }

  return {
    async verifyHeader(header) {
      if (!header) return { ok: false, reason: 'missing Authorization header' };
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match) return { ok: false, reason: 'Authorization header must be "Bearer <token>"' };
      return verify(match[1]);
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
