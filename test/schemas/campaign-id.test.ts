/** One campaign id rule for the spec's name, the CLI's --id and the client's startCampaign. */
import type { Client } from '@temporalio/client';
import { startCampaign } from '../../client/campaigns';
import { CAMPAIGN_ID_PATTERN, checkCampaignId } from '../../schemas/campaign-id';
import { parseCampaignSpec } from '../../schemas/parse';

const BAD = ['../../x', '..', '/abs', 'a/b', '', 'Upper', '-lead', 'x'.repeat(64)];

test('the spec\'s name and checkCampaignId accept and refuse the same ids', () => {
  for (const id of ['c', 'my-campaign.2', 'a_b', 'x'.repeat(63)]) {
    expect(checkCampaignId(id)).toBe(id);
    expect(parseCampaignSpec({ name: id }).name).toBe(id);
  }
  for (const id of BAD) {
    expect(CAMPAIGN_ID_PATTERN.test(id)).toBe(false);
    expect(() => checkCampaignId(id, '--id')).toThrow(/^invalid campaign id \(1 problem\):\n {2}--id: .* must be 1-63 chars/);
    expect(() => parseCampaignSpec({ name: id })).toThrow(/name: .*must be 1-63 chars/);
  }
});

test('the client refuses a bad campaign id before it calls the server', async () => {
  // The client is never used: the id is checked first (a call on this object would throw a TypeError instead).
  const client = {} as Client;
  await expect(startCampaign(client, {}, { campaign: '../../x' })).rejects.toMatchObject({ name: 'SpecError', message: expect.stringMatching(/"\.\.\/\.\.\/x" must be/) });
});
