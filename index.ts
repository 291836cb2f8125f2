/**
 * `prefloop`: the main entry point. Workflow code imports `prefloop/workflows` only (it runs in Temporal's sandbox);
 * everything else a worker, a client or a script needs is here or in `prefloop/{workers,client,schemas,store,activities}`.
 */
export * from './workers';
export * from './client';
export * from './schemas';
export * from './store';
