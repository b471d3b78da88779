import type { IssuerType } from '@app/fleet-auth';

/**
 * Cognito's two issuer hosts (`IssuerConfigurationType` in the API reference): `ORIGINAL`
 * `cognito-idp.{region}.amazonaws.com`, `UPDATED` `issuer-cognito-idp.{region}.amazonaws.com`
 * (the pool's primary region).
 */
const AWS_ISSUER_HOST = /^(issuer-)?cognito-idp\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com$/;

/** The issuer host of `type` in `region`. */
export function awsIssuerHost(type: IssuerType, region: string): string {
  return `${type === 'UPDATED' ? 'issuer-' : ''}cognito-idp.${region}.amazonaws.com`;
}

/** Which of Cognito's issuer hosts `hostname` is, and its region; undefined for any other. */
export function awsIssuerHostOf(
  hostname: string,
): { type: IssuerType; region: string } | undefined {
  const match = AWS_ISSUER_HOST.exec(hostname.toLowerCase());
  return match ? { type: match[1] ? 'UPDATED' : 'ORIGINAL', region: match[2] } : undefined;
}

/**
 * The issuer bases (`iss` without the pool id) of an emulator reachable at `base`, one per
 * issuer type. When `base`'s host is one of Cognito's issuer hosts (either form), the
 * emulator imitates AWS: each type gets its own host, scheme and port kept
 * (`https://cognito-idp.us-east-1.amazonaws.com` and
 * `https://issuer-cognito-idp.us-east-1.amazonaws.com`). Any other base is both types' base:
 * the type is then reported, but a host of one's own choosing has no second form.
 *
 * @example
 * ```ts
 * issuerBases('https://cognito-idp.eu-west-1.amazonaws.com:4443').UPDATED;
 * // https://issuer-cognito-idp.eu-west-1.amazonaws.com:4443
 * issuerBases('http://127.0.0.1:4000').UPDATED; // http://127.0.0.1:4000
 * ```
 */
export function issuerBases(base: string): Readonly<Record<IssuerType, string>> {
  const url = new URL(base);
  const aws = awsIssuerHostOf(url.hostname);
  if (!aws) {
    const same = base.replace(/\/+$/, '');
    return { ORIGINAL: same, UPDATED: same };
  }
  const withHost = (type: IssuerType) => {
    const copy = new URL(url.origin);
    copy.hostname = awsIssuerHost(type, aws.region);
    return copy.origin;
  };
  return { ORIGINAL: withHost('ORIGINAL'), UPDATED: withHost('UPDATED') };
}
