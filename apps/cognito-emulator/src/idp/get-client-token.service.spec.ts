import { awsSdkVersion } from './get-client-token.service.js';

describe('the awsSdkVersion of a GetClientToken trigger event', () => {
  it.each([
    [
      'aws-sdk-js/3.1169.0 ua/2.1 os/linux#6.8 lang/js md/nodejs#24.11.0 api/cognito-identity-provider#3.1169.0',
      'aws-sdk-js-3.1169.0',
    ],
    ['Boto3/1.40.1 md/Botocore#1.40.1 ua/2.1 aws-sdk-python/1.40.1', 'aws-sdk-python-1.40.1'],
    ['aws-sdk-java/2.20.43 Linux/6.1', 'aws-sdk-java-2.20.43'],
    ['curl/8.5.0', 'aws-sdk-unknown-unknown'],
    [undefined, 'aws-sdk-unknown-unknown'],
  ])('reads %j as %s', (agent, version) => {
    expect(awsSdkVersion(agent)).toBe(version);
  });
});
