/**
 * The step functions the activities adapt (engine/steps), named once so that a worker can be handed another
 * implementation without the activities knowing. (The iteration plan is not among them: it is a pure function of
 * the spec, computed by the campaign workflow itself, engine/plans.)
 */
import type { Steps } from '../engine/steps/types';

export type StepFunctions = Steps;
