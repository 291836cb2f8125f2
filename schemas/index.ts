/** `prefloop/schemas`: the campaign spec, artifact refs and results, shared by every layer (pure, no I/O). */
export * from './campaign';
export * from './parse';
export * from './artifacts';
export * from './results';
export { campaignJsonSchema, specFields, type JsonSchema, type SpecField } from './spec-fields';
