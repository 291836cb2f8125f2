import { applySetOverrides, parseCampaignSpec } from '../../schemas/parse';
import { specError } from '../support/spec-error';

describe('--set overrides', () => {
  test('values are YAML scalars and flow collections, set at dotted paths', () => {
    const input = { update: { beta: 0.1, lr: 0.5 } };
    const out = applySetOverrides(input, ['update.beta=0.2', 'sampling.temperatures=[1,0.7]', 'algorithm=rso', 'reward.source={kind: bt-oracle, temperature: 2}', 'pairs.dropTies=false', 'name="007"']);
    expect(out).toEqual({
      update: { beta: 0.2, lr: 0.5 }, sampling: { temperatures: [1, 0.7] }, algorithm: 'rso',
      reward: { source: { kind: 'bt-oracle', temperature: 2 } }, pairs: { dropTies: false }, name: '007',
    });
    expect(input).toEqual({ update: { beta: 0.1, lr: 0.5 } });
    expect(parseCampaignSpec(out).update.beta).toBe(0.2);
  });

  test('later assignments win; no spec at all starts from {}', () => {
    expect(applySetOverrides(undefined, ['seed=1', 'seed=2'])).toEqual({ seed: 2 });
  });

  test('a bad field or value is caught by the schema with its full path', () => {
    const err = specError(() => parseCampaignSpec(applySetOverrides({}, ['update.bta=0.2', 'update.loss=dpo'])));
    expect(err.issues).toEqual([
      { path: 'update.loss', message: 'got "dpo" (allowed: sigmoid | robust | ipo | hinge | sigmoid_norm)' },
      { path: 'update.bta', message: expect.stringContaining('unknown field; did you mean "beta"?') },
    ]);
  });

  test('malformed assignments are all reported', () => {
    const err = specError(() => applySetOverrides({ update: { beta: 0.1 } }, ['beta', 'update.beta.x=1', 'a..b=1', '__proto__.polluted=1', 'seed=', 'sampling.temperatures=[1,']));
    expect(err.issues.map((i) => i.path)).toEqual(['--set', 'update.beta', 'a..b', '__proto__.polluted', 'seed', 'sampling.temperatures']);
    expect(err.issues[0].message).toContain('is not of the form path=value');
    expect(err.issues[5].message).toContain('is not a YAML scalar or flow collection');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
