import { parsePool } from '@app/fleet-auth';
import { PoolStore } from '../pool/pool-store.js';
import { EmulatorRuntime } from './emulator-runtime.js';
import { awsIssuerHostOf, issuerBases } from './issuer-forms.js';

describe('issuer forms', () => {
  it("knows Cognito's two issuer hosts, any case, and nothing else", () => {
    expect(awsIssuerHostOf('cognito-idp.eu-west-1.amazonaws.com')).toEqual({
      type: 'ORIGINAL',
      region: 'eu-west-1',
    });
    expect(awsIssuerHostOf('Issuer-Cognito-IDP.us-gov-west-1.amazonaws.com')).toEqual({
      type: 'UPDATED',
      region: 'us-gov-west-1',
    });
    for (const host of [
      'cognito-idp.amazonaws.com',
      'xissuer-cognito-idp.us-east-1.amazonaws.com',
      'cognito-idp.us-east-1.amazonaws.com.evil.example',
      'cognito-emulator',
      '127.0.0.1',
    ]) {
      expect(awsIssuerHostOf(host)).toBeUndefined();
    }
  });

  it('maps a base on either AWS host to both forms, keeping scheme and port', () => {
    const expected = {
      ORIGINAL: 'https://cognito-idp.us-east-1.amazonaws.com:4443',
      UPDATED: 'https://issuer-cognito-idp.us-east-1.amazonaws.com:4443',
    };
    expect(issuerBases('https://cognito-idp.us-east-1.amazonaws.com:4443')).toEqual(expected);
    expect(issuerBases('https://issuer-cognito-idp.us-east-1.amazonaws.com:4443/')).toEqual(
      expected,
    );
    expect(issuerBases('https://cognito-idp.us-east-1.amazonaws.com')).toEqual({
      ORIGINAL: 'https://cognito-idp.us-east-1.amazonaws.com',
      UPDATED: 'https://issuer-cognito-idp.us-east-1.amazonaws.com',
    });
  });

  it('leaves any other base as both forms', () => {
    expect(issuerBases('http://cognito-emulator:4000/')).toEqual({
      ORIGINAL: 'http://cognito-emulator:4000',
      UPDATED: 'http://cognito-emulator:4000',
    });
  });
});

describe('EmulatorRuntime', () => {
  const pool = () =>
    new PoolStore(parsePool({ userPoolId: 'us-east-1_Forms1', clients: [] }), undefined, 100);

  it('issues under the pool type, knows both issuers, and names the one a Host asks for', () => {
    const store = pool();
    const runtime = new EmulatorRuntime(store);
    runtime.setBase('https://cognito-idp.us-east-1.amazonaws.com');
    const original = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Forms1';
    const updated = 'https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_Forms1';
    expect(runtime.issuer).toBe(original);
    expect(runtime.issuers).toEqual([original, updated]);
    expect(runtime.issuerAt('issuer-cognito-idp.us-east-1.amazonaws.com')).toBe(updated);
    expect(runtime.issuerAt('127.0.0.1:4000')).toBe(original);
    expect(runtime.issuerAt('not a host')).toBe(original);
    expect(runtime.issuerAt(undefined)).toBe(original);

    store.putSettings({ ...store.settings, issuerType: 'UPDATED' });
    expect(runtime.issuer).toBe(updated);
    expect(runtime.issuerAt('cognito-idp.us-east-1.amazonaws.com')).toBe(original);
    expect(runtime.tokenUrl).toBe('https://cognito-idp.us-east-1.amazonaws.com/oauth2/token');
  });

  it('has one issuer on a base of its own, whatever the type', () => {
    const store = pool();
    const runtime = new EmulatorRuntime(store);
    runtime.setBase('http://127.0.0.1:4000');
    store.putSettings({ ...store.settings, issuerType: 'UPDATED' });
    expect(runtime.issuers).toEqual(['http://127.0.0.1:4000/us-east-1_Forms1']);
    expect(runtime.issuerAt('issuer-cognito-idp.us-east-1.amazonaws.com')).toBe(
      'http://127.0.0.1:4000/us-east-1_Forms1',
    );
  });
});
