/** The one place a spec's reward.source.kind becomes a reward source; a new kind is one file here and one line below. */
import type { RewardSourceKind, RewardSourceSpec } from '../../../schemas/campaign';
import { InvalidInputError } from '../../errors';
import type { RewardSource } from '../reward-source';
import { activitySource } from './activity';
import { btModelSource } from './bt-model';
import { btOracleSource } from './bt-oracle';
import { goldSource } from './gold';
import { onnxSource } from './onnx';

// A kind the schema gains without a line here is a type error.
const SOURCES: { [K in RewardSourceKind]: (spec: Extract<RewardSourceSpec, { kind: K }>) => RewardSource } = {
  gold: () => goldSource,
  'bt-oracle': btOracleSource,
  onnx: onnxSource,
  'bt-model': btModelSource,
  activity: activitySource,
};

export function rewardSourceFor(spec: RewardSourceSpec): RewardSource {
  const make = SOURCES[spec.kind] as ((s: RewardSourceSpec) => RewardSource) | undefined;
  if (!make) throw new InvalidInputError(`reward.source.kind '${String(spec.kind)}' is not known; use one of ${Object.keys(SOURCES).join(', ')}`);
  return make(spec);
}
