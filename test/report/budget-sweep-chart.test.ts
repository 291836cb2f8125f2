import { budgetSweepCharts } from '../../report/charts';
import { renderSvg } from '../../report/render-svg';

describe('budget sweep charts (bench:fidelity --sweep)', () => {
  const points = [
    { algorithm: 'online-iterative-dpo', labels: 384, J: 0.2, gap: 1.0 },
    { algorithm: 'online-iterative-dpo', labels: 8192, J: 0.9, gap: 0.3 },
    { algorithm: 'offline-dpo', labels: 384, J: 0.1, gap: 1.1 },
    { algorithm: 'offline-dpo', labels: 8192, J: 0.5, gap: 0.7 },
  ];

  it('draws J (with J* and J(pi0) rules) and the gap against labels, one line per algorithm, as static SVG', async () => {
    const charts = budgetSweepCharts(points, 1.2, -0.1);
    expect(charts.map((c) => c.id)).toEqual(['sweep-J', 'sweep-gap']);
    const [J, gap] = await Promise.all(charts.map((c) => renderSvg(c.spec)));
    for (const svg of [J, gap]) {
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('online-iterative-dpo');
      expect(svg).toContain('offline-dpo');
      expect(svg).toContain('preference labels (total)');
    }
    // Two algorithm lines in each chart; the J chart adds the two dashed rules.
    expect((J.match(/aria-roledescription="line mark"/g) ?? []).length).toBe(2);
    expect((J.match(/stroke-dasharray/g) ?? []).length).toBeGreaterThanOrEqual(2);
    expect((gap.match(/aria-roledescription="line mark"/g) ?? []).length).toBe(2);
  });
});
