import type { Command } from 'commander';
import type { Provider } from '../../schemas/campaign';
import { action } from '../context';
import { notFoundError, usageError } from '../errors';
import { storeRoot } from './worker';

/** Input errors of the engine (a bad model directory, an impossible length) are usage errors here: exit 2. */
function asUsage(e: unknown): never {
  const name = (e as Error)?.name;
  if (name === 'CheckpointNotFoundError') throw notFoundError((e as Error).message);
  if (name === 'InvalidInputError' || name === 'CheckpointFormatError') throw usageError((e as Error).message);
  throw e;
}

function number(flag: string, integer: boolean) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) throw usageError(`${flag}: ${JSON.stringify(value)} is not ${integer ? 'an integer' : 'a number'}`);
    return n;
  };
}

/** `generate` (try a Hugging Face model directory) and `export` (a campaign's policy back out as one). */
export function registerModel(program: Command): void {
  program.command('generate')
    .argument('<model dir>', 'a Hugging Face model directory: config.json, model.safetensors (or shards), tokenizer.json, tokenizer_config.json')
    .requiredOption('--prompt <text>', 'the prompt (a user message through the model\'s chat template, when it has one)')
    .option('--max-new-tokens <n>', 'longest continuation, in tokens', number('--max-new-tokens', true), 32)
    .option('--temperature <t>', 'sampling temperature (0 = greedy)', number('--temperature', false), 1)
    .option('--greedy', 'the most likely token each step (same as --temperature 0)')
    .option('--top-k <k>', 'keep the k most likely tokens (0 = off)', number('--top-k', true), 0)
    .option('--top-p <p>', 'nucleus mass (1 = off)', number('--top-p', false), 1)
    .option('--seed <n>', 'sampling seed', number('--seed', true), 0)
    .option('--no-chat-template', 'feed the prompt as plain text after the BOS token')
    .option('--threads <n>', 'ONNX Runtime threads', number('--threads', true), 1)
    .option('--provider <name>', 'ONNX Runtime execution provider: cpu, cuda or webgpu (as execution.provider; no fallback)', 'cpu')
    .option('--json', 'print the prompt and generated token ids and each token\'s log-prob as JSON')
    .description('continue a prompt with a Hugging Face model, by the code a campaign samples with: the quickest check that prefloop reads the model right')
    .action(action(async (ctx, dir: string) => {
      const o = ctx.opts;
      if (o.greedy && o.temperature !== 1) throw usageError('give either --greedy or --temperature, not both');
      if (!['cpu', 'cuda', 'webgpu'].includes(o.provider as string)) throw usageError(`--provider must be cpu, cuda or webgpu, got '${String(o.provider)}'`);
      const { generate } = await import('../../engine/runner/generate');
      const g = await generate(dir, o.prompt as string, {
        maxNewTokens: o.maxNewTokens as number, temperature: o.greedy ? 0 : (o.temperature as number), topK: o.topK as number, topP: o.topP as number,
        seed: o.seed as number, chatTemplate: o.chatTemplate as boolean, threads: o.threads as number, provider: o.provider as Provider,
      }).catch(asUsage);
      ctx.out.result(g, () => g.text);
    }));

  program.command('export')
    .argument('<campaign>', 'campaign id (its policy.source is hf)')
    .requiredOption('--iteration <k>', 'which policy: 0 is pi0 (the model as it went in), k the policy after iteration k', number('--iteration', true))
    .requiredOption('--out <dir>', 'the new Hugging Face model directory (must not exist, or be empty)')
    .option('--store <dir>', 'artifact store root [env PREFLOOP_STORE, default .prefloop/store]')
    .option('--json', 'print JSON')
    .description('write a campaign\'s policy as a Hugging Face model directory (original tensor names and dtypes, tokenizer and config files copied) that transformers, vLLM and Optimum load')
    .action(action(async (ctx, campaign: string) => {
      const { exportIteration } = await import('../../client/export-model');
      const { LocalArtifactStore } = await import('../../store/local');
      const result = await exportIteration(new LocalArtifactStore(storeRoot(ctx.opts.store)), campaign, ctx.opts.iteration as number, ctx.opts.out as string).catch(asUsage);
      ctx.out.result(result, () => `wrote ${result.dir}: ${result.files.join(', ')} (${result.tensors} tensors, ${(result.bytes / 2 ** 20).toFixed(1)} MiB) from ${result.checkpoint}`);
    }));
}
