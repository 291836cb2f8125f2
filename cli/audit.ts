import type { Client } from '@temporalio/client';
import type { ArtifactRef } from '../schemas/artifacts';
import type { ArtifactStore } from '../store/types';
import type { AuditRow } from '../report';
import { auditCampaign, type CampaignAudit, type StepAudit } from '../client/audit';
import type { CampaignSpec } from '../schemas/campaign';
import type { EvalMetrics } from '../schemas/results';
import { updateBest, type BestIteration } from '../schemas/selection';
import { evaluationRows, type EvaluatedIteration, type IterationRow } from '../report/iteration-rows';

/** Refs named by the last segment of their uri (`policy.safetensors`), numbered when names repeat. */
function named(refs: ArtifactRef[]): Record<string, ArtifactRef> {
  const out: Record<string, ArtifactRef> = {};
  for (const ref of refs) {
    const base = ref.uri.split('/').pop() || ref.uri;
    let name = base;
    for (let i = 2; name in out; i++) name = `${base}#${i}`;
    out[name] = ref;
  }
  return out;
}

function row(iteration: number, s: StepAudit): AuditRow {
  const seconds = (s.queueSeconds ?? 0) + (s.runSeconds ?? 0);
  return {
    iteration,
    step: s.label === s.step ? s.step : `${s.step} [${s.label}]`,
    inputs: named(s.reads),
    outputs: named(s.writes),
    attempts: s.attempts,
    seconds: s.runSeconds === undefined ? undefined : seconds,
    status: s.failure ? `${s.status}: ${s.failure}` : s.lastFailure ? `${s.status} (retried after: ${s.lastFailure})` : s.status,
    ...(s.pruned?.length ? { pruned: s.pruned.map((p) => p.uri) } : {}),
  };
}

/** The audit as flat rows (setup and pi0's evaluation first, then every iteration's steps in order), for the report and `history`. */
export function auditToRows(audit: CampaignAudit): AuditRow[] {
  return [
    ...(audit.setup ? [row(0, audit.setup)] : []),
    ...(audit.initialEvaluation ? [row(0, audit.initialEvaluation)] : []),
    ...audit.iterations.flatMap((it) => it.steps.map((s) => row(it.iteration, s))),
  ];
}

/**
 * The evaluation of pi0 and of every iteration evaluated so far, as the rows `status` prints for a finished campaign;
 * the best is chosen as the campaign chooses it (schemas/selection.ts, by each iteration's evaluation.select, which
 * `set` can change), so a running campaign shows its best so far.
 */
export function auditEvaluationRows(audit: CampaignAudit): IterationRow[] {
  const initial = audit.initialEvaluation?.status === 'completed' ? audit.initialEvaluation.output as EvalMetrics : undefined;
  const evaluated = audit.iterations.filter((it): it is typeof it & EvaluatedIteration => it.eval !== undefined);
  const started = (audit.spec as CampaignSpec).evaluation.select;
  let best: BestIteration | undefined;
  for (const it of evaluated) best = updateBest(best, it.iteration, it.eval, it.hyperparameters.evaluation?.select ?? started);
  return evaluationRows(initial, evaluated, best?.iteration);
}

export async function auditRows(client: Client, campaign: string, store: ArtifactStore): Promise<AuditRow[]> {
  return auditToRows(await auditCampaign(client, store, campaign));
}
