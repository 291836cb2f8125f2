/**
 * A user reward model exported by Optimum for sequence classification: inputs input_ids and attention_mask
 * (int64 [batch, seq]), output logits [batch, labels]. One label is the reward; two labels (negative, positive)
 * give the reward logit[1] - logit[0]. Sequences are prompt + response, right-padded with `padId`.
 * A model with its own tokenizer (reward.source.tokenizer) sees the task's text re-encoded by that tokenizer.
 * Both files are spec paths, read only from inside the store root (user-file.ts).
 */
import * as fs from 'node:fs';
import * as ort from 'onnxruntime-node';
import type { RuntimeOptions } from '../model/api';
import { loadHfTokenizer } from '../tokenizer';
import { InvalidInputError } from '../errors';
import { requireUserFile } from './user-file';

const ROWS_PER_RUN = 64;
const ONNX_MODEL = 'an Optimum-exported sequence-classification model.onnx';
const TOKENIZER = 'the reward model\'s tokenizer.json';

/** Confinement and existence of reward.source.model and .tokenizer, without loading them (setup's early check). */
export async function checkOnnxRewardFiles(root: string, model: string, tokenizer: string | undefined): Promise<void> {
  await requireUserFile(root, 'reward.source.model', model, ONNX_MODEL);
  if (tokenizer !== undefined) await requireUserFile(root, 'reward.source.tokenizer', tokenizer, TOKENIZER);
}

export interface OnnxRewardModel {
  readonly file: string;
  score(prompts: number[][], responses: number[][]): Promise<Float64Array>;
}

/** `specPath` is reward.source.model as the spec writes it, relative to the store `root`. */
export async function loadOnnxRewardModel(root: string, specPath: string, options: Pick<RuntimeOptions, 'threads'> & { padId?: number }): Promise<OnnxRewardModel> {
  const file = await requireUserFile(root, 'reward.source.model', specPath, ONNX_MODEL);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(fs.readFileSync(file), {
      intraOpNumThreads: options.threads, interOpNumThreads: 1, executionMode: 'sequential', executionProviders: ['cpu'],
    });
  } catch (e) {
    throw new InvalidInputError(`reward.source.model: '${file}' is not a loadable ONNX model (${(e as Error).message})`);
  }
  for (const name of ['input_ids', 'attention_mask']) {
    if (!session.inputNames.includes(name)) {
      throw new InvalidInputError(`reward.source.model: '${file}' has inputs [${session.inputNames.join(', ')}]; a sequence-classification export needs input_ids and attention_mask`);
    }
  }
  if (!session.outputNames.includes('logits')) {
    throw new InvalidInputError(`reward.source.model: '${file}' has outputs [${session.outputNames.join(', ')}]; expected 'logits'`);
  }
  const padId = options.padId ?? 0;
  return {
    file,
    async score(prompts, responses) {
      const out = new Float64Array(prompts.length);
      for (let start = 0; start < prompts.length; start += ROWS_PER_RUN) {
        const seqs = prompts.slice(start, start + ROWS_PER_RUN).map((p, i) => [...p, ...responses[start + i]]);
        const width = Math.max(...seqs.map((s) => s.length));
        const ids = new BigInt64Array(seqs.length * width).fill(BigInt(padId));
        const mask = new BigInt64Array(seqs.length * width);
        seqs.forEach((s, r) => s.forEach((t, c) => { ids[r * width + c] = BigInt(t); mask[r * width + c] = 1n; }));
        const result = await session.run({
          input_ids: new ort.Tensor('int64', ids, [seqs.length, width]),
          attention_mask: new ort.Tensor('int64', mask, [seqs.length, width]),
        });
        const logits = result.logits;
        const labels = logits.dims[logits.dims.length - 1];
        const data = logits.data as Float32Array;
        if (logits.dims.length !== 2 || logits.dims[0] !== seqs.length || (labels !== 1 && labels !== 2)) {
          throw new InvalidInputError(`reward.source.model: '${file}' returned logits of shape [${logits.dims.join(', ')}]; expected [batch, 1] or [batch, 2]`);
        }
        for (let r = 0; r < seqs.length; r++) out[start + r] = labels === 1 ? data[r] : data[r * 2 + 1] - data[r * 2];
      }
      return out;
    },
  };
}

/** Maps the task's token ids to the reward model's: render to text, encode with the model's tokenizer.json. */
export interface Retokenizer { padId: number; encode(ids: number[]): number[] }

/** `specPath` is reward.source.tokenizer as the spec writes it, relative to the store `root`. */
export async function retokenizerFor(root: string, specPath: string, render: (ids: number[]) => string): Promise<Retokenizer> {
  const tokenizerFile = await requireUserFile(root, 'reward.source.tokenizer', specPath, TOKENIZER);
  const tokenizer = loadHfTokenizer(fs.readFileSync(tokenizerFile, 'utf8'), {}, tokenizerFile);
  return { padId: tokenizer.padId, encode: (ids) => tokenizer.encode(render(ids)) };
}
