import { applyHyperparameterPatch, HyperparameterPatchSchema, parseCampaignSpec } from '../../schemas/parse';
import { patchedFields } from '../../schemas/hyperparameters';
import { specError } from '../support/spec-error';

const running = parseCampaignSpec({ update: { lr: 0.05, epochs: 3 }, sampling: { n: 6 }, reward: { source: { kind: 'bt-oracle', temperature: 2 } } });

describe('setHyperparameters patches', () => {
  test('patchable sections change; everything else, including omitted fields, stays', () => {
    const patch = { update: { beta: 0.3, loss: 'ipo' }, sampling: { temperatures: [0.9] }, pairs: { strategy: 'random' }, rejectionSampling: { accepted: 3 },
      evaluation: { exact: false }, reward: { lengthPenalty: 0.2 }, budget: { labelsPerIteration: 10 } };
    const next = applyHyperparameterPatch(running, patch);
    expect(next.update).toEqual({ ...running.update, beta: 0.3, loss: 'ipo' });
    expect(next.update.lr).toBe(0.05);
    expect(next.sampling).toEqual({ ...running.sampling, temperatures: [0.9] });
    expect(next.reward).toEqual({ source: { kind: 'bt-oracle', temperature: 2 }, lengthPenalty: 0.2 });
    expect(next.rejectionSampling.accepted).toBe(3);
    expect(next.budget.labelsPerIteration).toBe(10);
    expect({ ...next, update: running.update, sampling: running.sampling, pairs: running.pairs, rejectionSampling: running.rejectionSampling,
      evaluation: running.evaluation, reward: running.reward, budget: running.budget }).toEqual(running);
    expect(running.update.beta).toBe(0.1);
    expect(patchedFields(patch as never)).toEqual(['update.beta', 'update.loss', 'sampling.temperatures', 'pairs.strategy', 'rejectionSampling.accepted',
      'evaluation.exact', 'reward.lengthPenalty', 'budget.labelsPerIteration']);
  });

  test('the patch schema does not fill defaults (an omitted field is not a reset)', () => {
    expect(HyperparameterPatchSchema.parse({ update: { beta: 0.2 } })).toEqual({ update: { beta: 0.2 } });
  });

  test('frozen fields are refused with the list of what can change', () => {
    const err = specError(() => applyHyperparameterPatch(running, { algorithm: 'rso', task: { name: 'text' }, policy: { source: 'builtin' }, reward: { source: { kind: 'gold' } } }));
    expect(err.issues.map((i) => i.path).sort()).toEqual(['algorithm', 'policy', 'reward.source', 'task']);
    for (const issue of err.issues) {
      expect(issue.message).toBe('cannot be changed while a campaign runs; fork the campaign with a new spec instead '
        + '(changeable: update.* | sampling.* | pairs.* | rejectionSampling.* | evaluation.* | budget.* | reward.lengthPenalty)');
    }
  });

  test('unknown fields in a patch are refused with suggestions', () => {
    const err = specError(() => applyHyperparameterPatch(running, { update: { bta: 1 }, learningRate: 1 }));
    expect(err.issues).toEqual([
      { path: 'update.bta', message: expect.stringContaining('did you mean "beta"?') },
      { path: 'learningRate', message: 'unknown field (allowed: update | sampling | pairs | rejectionSampling | evaluation | budget | reward)' },
    ]);
  });

  test('bad values and broken cross-field rules name the full field path', () => {
    expect(specError(() => applyHyperparameterPatch(running, { update: { beta: -1, schedule: 'step' } })).issues).toEqual([
      { path: 'update.beta', message: 'must be > 0 (got -1)' },
      { path: 'update.schedule', message: 'got "step" (allowed: constant | cosine | linear)' },
    ]);
    const err = specError(() => applyHyperparameterPatch(running, { rejectionSampling: { accepted: 20 } }));
    expect(err.issues).toEqual([{ path: 'rejectionSampling.accepted', message: 'accepted must be <= candidates (got 20)' }]);
    expect(err.message).toContain('hyperparameter patch');
  });
});
