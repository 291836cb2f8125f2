/**
 * A campaign on a Hugging Face policy (policy.source hf), through the in-process runner and the same steps the
 * Temporal workflows run: pi0 is the model's own weights, prompts go through its chat template and tokenizer, the
 * text task's gold reward reads the decoded responses, and the update trains the llama weights. Deterministic, and
 * bad model input fails before any compute with nothing written.
 */
import * as path from 'node:path';
import { decodeCheckpoint } from '../../../engine/checkpoint/checkpoint';
import { loadHfModelWeights, openHfModel } from '../../../engine/checkpoint/hf-model';
import { runCampaign } from '../../../engine/runner';
import { disposeRuntimes } from '../../../engine/steps';
import { taskFromSpec } from '../../../engine/tasks';
import type { UpdateCursor } from '../../../engine/steps/update';
import { tempStore } from '../steps/tiny-spec';
import { hfSpec, placeModel } from './hf-fixtures';

describe('a campaign on a Hugging Face policy', () => {
  const stores = [tempStore(), tempStore()];
  afterAll(async () => { await disposeRuntimes(); stores.forEach((s) => s.cleanup()); });

  it('runs online iterative DPO on a llama directory, starting from the model itself, deterministically', async () => {
    const model = placeModel(stores[0].store.root, 'llama');
    placeModel(stores[1].store.root, 'llama');
    const spec = hfSpec(model);
    const task = taskFromSpec(spec, stores[0].store.root);
    // The text task's prompts in the model's chat template and tokens.
    // (render() drops the eos token <|im_end|>, id 3, which the prompt holds after the user's text.)
    expect(task.render(task.trainPrompts[0])).toMatch(/^<\|im_start\|>user\n(describe|tell|what) [a-z ]+\n<\|im_start\|>assistant\n$/);
    expect(task.trainPrompts[0]).toContain(3);
    expect(task.stopTokens).toEqual([3, 1]);

    const a = await runCampaign(spec, { store: stores[0].store, campaign: 'hf-a' });
    const b = await runCampaign(spec, { store: stores[1].store, campaign: 'hf-b' });
    expect(a.iterations).toHaveLength(2);
    expect(a.iterations.every((r) => r.pairs > 0)).toBe(true);
    const fa = decodeCheckpoint(await stores[0].store.get(a.finalCheckpoint));
    const fb = decodeCheckpoint(await stores[1].store.get(b.finalCheckpoint));
    expect(fb.metadata).toEqual(fa.metadata);
    expect(b.iterations.map((r) => r.eval)).toEqual(a.iterations.map((r) => r.eval));
    expect(b.finalCheckpoint.sha256).toBe(a.finalCheckpoint.sha256);

    // pi0 holds the directory's weights exactly; the trained policy moved away from them, with the same names.
    const original = loadHfModelWeights(openHfModel(path.join(stores[0].store.root, model)));
    const pi0Ref = (await stores[0].store.find({ campaign: 'hf-a', iteration: 0, step: 'setup', name: 'pi0.safetensors' }))!;
    const start = decodeCheckpoint(await stores[0].store.get(pi0Ref));
    expect([...start.state.weights.keys()]).toEqual([...original.keys()]);
    for (const [name, t] of original) expect(Buffer.from(start.state.weights.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer))).toBe(true);
    const final = decodeCheckpoint(await stores[0].store.get(a.finalCheckpoint));
    expect(start.config).toEqual(final.config);
    let moved = 0;
    for (const [name, t] of original) moved = Math.max(moved, ...Array.from(final.state.weights.get(name)!.data, (x, i) => Math.abs(x - t.data[i])));
    expect(moved).toBeGreaterThan(1e-5);
  });

  it('a qwen2 campaign whose update is interrupted mid-iteration and resumed from its checkpoint ends bit-identical', async () => {
    const model = placeModel(stores[0].store.root, 'qwen2-f16');
    placeModel(stores[1].store.root, 'qwen2-f16');
    const spec = hfSpec(model, { update: { lr: 1e-3, epochs: 2, batchSize: 2, checkpointEvery: 1 } });
    const straight = await runCampaign(spec, { store: stores[0].store, campaign: 'q-straight' });
    const controller = new AbortController();
    let cursor: UpdateCursor | undefined;
    const progress = (c: unknown) => {
      const u = c as UpdateCursor;
      if (u.checkpoint && u.iteration === 2 && u.step === 2) { cursor = u; controller.abort(); }
    };
    await expect(runCampaign(spec, { store: stores[1].store, campaign: 'q-resumed', progress, signal: controller.signal })).rejects.toThrow(/cancelled/);
    expect(cursor?.step).toBe(2);
    const resumed = await runCampaign(spec, { store: stores[1].store, campaign: 'q-resumed', resumeFrom: cursor });
    expect(resumed.finalCheckpoint.sha256).toBe(straight.finalCheckpoint.sha256);
  });
});
