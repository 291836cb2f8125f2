import type { Command } from 'commander';
import { action } from '../context';
import { addConnectionOptions } from '../connection';
import { describeCampaign, isRunning, pauseCampaign, resumeCampaign, setHyperparameters, stopCampaignAfterIteration } from '../../client/campaigns';
import { CliError } from '../errors';
import { EXIT } from '../exit-codes';
import { applySetOverrides } from '../../schemas/parse';

const SIGNALS = {
  pause: { signal: 'pause', send: pauseCampaign, help: 'hold the campaign before its next step', done: 'pause requested' },
  resume: { signal: 'resume', send: resumeCampaign, help: 'continue a paused campaign', done: 'resume requested' },
  stop: { signal: 'stopAfterIteration', send: stopCampaignAfterIteration, help: 'finish the iteration in flight, then end the campaign with its summary', done: 'stop requested (after the current iteration)' },
} as const;

export function registerControl(program: Command): void {
  for (const [name, def] of Object.entries(SIGNALS)) {
    addConnectionOptions(program.command(name))
      .argument('<campaign>', 'campaign id')
      .description(def.help)
      .option('--json', 'print JSON')
      .action(action(async (ctx, campaign: string) => {
        const client = await ctx.client();
        const info = await describeCampaign(client, campaign);
        if (!isRunning(info)) throw new CliError(`campaign "${campaign}" is ${info.status.name.toLowerCase()}, not running; nothing to ${name}`, EXIT.failure);
        await def.send(client, campaign);
        ctx.out.result({ campaign, signal: def.signal }, () => `${campaign}: ${def.done}`);
      }));
  }

  addConnectionOptions(program.command('set'))
    .argument('<campaign>', 'campaign id')
    .argument('<assignments...>', 'spec fields to change, e.g. update.beta=0.2 sampling.n=4')
    .description('change hyper-parameters of a running campaign from its next iteration (validated by the campaign)')
    .option('--json', 'print JSON')
    .action(action(async (ctx, campaign: string, assignments: string[]) => {
      // Parse locally first: a malformed assignment never reaches the server.
      const patch = applySetOverrides({}, assignments) as Record<string, unknown>;
      const client = await ctx.client();
      const info = await describeCampaign(client, campaign);
      if (!isRunning(info)) throw new CliError(`campaign "${campaign}" is ${info.status.name.toLowerCase()}, not running; fork it to change its spec`, EXIT.failure);
      const result = await setHyperparameters(client, campaign, patch);
      ctx.out.result({ campaign, patch, appliesFrom: result.appliesFrom }, () => `${campaign}: ${JSON.stringify(patch)} applies from iteration ${result.appliesFrom}`);
    }));
}
