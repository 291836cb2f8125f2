import { learningRate } from '../../../engine/steps/lr-schedule';

describe('learning-rate schedule', () => {
  it('warms up linearly over ceil(warmup * total) steps, then holds, or decays by cosine or linearly', () => {
    const total = 100;
    expect(learningRate(1, 'constant', 0.1, 0, total)).toBeCloseTo(0.1, 12);
    expect(learningRate(1, 'constant', 0.1, 9, total)).toBeCloseTo(1, 12);
    expect(learningRate(1, 'constant', 0.1, 99, total)).toBe(1);
    expect(learningRate(1, 'cosine', 0.1, 10, total)).toBeCloseTo(1, 12);
    expect(learningRate(1, 'cosine', 0.1, 55, total)).toBeCloseTo(0.5, 12);
    expect(learningRate(1, 'linear', 0.1, 55, total)).toBeCloseTo(0.5, 12);
    expect(learningRate(1, 'linear', 0, 99, total)).toBeCloseTo(0.01, 12);
    expect(learningRate(2, 'cosine', 0, 0, 1)).toBe(2);
  });

  it('names the field and the choices for an unknown schedule', () => {
    expect(() => learningRate(1, 'step' as never, 0, 5, 10)).toThrow(/update.schedule.*constant, cosine or linear/);
  });
});
