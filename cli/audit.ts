import type { Client } from '@temporalio/client';
import type { ArtifactRef } from '../schemas/artifacts';
import type { ArtifactStore } from '../store/types';
import type { AuditRow } from '../report';
import { auditCampaign, type CampaignAudit, type StepAudit } from '../client/audit';

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

export async function auditRows(client: Client, campaign: string, store: ArtifactStore): Promise<AuditRow[]> {
  return auditToRows(await auditCampaign(client, store, campaign));
}
