import { describedSecret, nextSecretDescriptor, secretDescriptors } from './secret-descriptors.js';

describe('client secret descriptors', () => {
  it("names a secret <client-id>--<epoch-create-time>, Cognito's ClientSecretId format", () => {
    expect(nextSecretDescriptor('svc', [], 1_750_000_000_123)).toEqual({
      id: 'svc--1750000000123',
      createdAt: 1_750_000_000_123,
    });
  });

  it('makes a secret after every existing one, even when the clock has not moved on', () => {
    const first = nextSecretDescriptor('svc', [], 5000);
    expect(nextSecretDescriptor('svc', [first], 5000)).toEqual({
      id: 'svc--5001',
      createdAt: 5001,
    });
    expect(nextSecretDescriptor('svc', [first], 4000).createdAt).toBe(5001);
    expect(nextSecretDescriptor('svc', [first], 9000).createdAt).toBe(9000);
  });

  it("gives a pool file's secrets distinct ids, oldest first", () => {
    expect(secretDescriptors('svc', 2, 7000).map((d) => d.id)).toEqual(['svc--7000', 'svc--7001']);
    expect(secretDescriptors('pub', 0, 7000)).toEqual([]);
  });

  it('describes the secret the client was created with, and none once it is gone', () => {
    const [original, added] = secretDescriptors('svc', 2, 1000);
    expect(
      describedSecret(['old', 'new'], {
        secrets: [original, added],
        describedSecretId: original.id,
      }),
    ).toBe('old');
    expect(describedSecret(['new'], { secrets: [added], describedSecretId: original.id })).toBe(
      undefined,
    );
    expect(describedSecret(['new'], { secrets: [added], describedSecretId: null })).toBe(undefined);
  });
});
