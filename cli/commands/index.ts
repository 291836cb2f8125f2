import type { Command } from 'commander';
import { registerServer } from './server';
import { registerList } from './list';
import { registerStatus } from './status';
import { registerControl } from './control';
import { registerSchedule } from './schedule';
import { registerRun } from './run';
import { registerInspect } from './inspect';
import { registerDemo } from './demo';
import { registerWorker } from './worker';
import { registerGc } from './gc';
import { registerModel } from './model';

export function registerCommands(program: Command): void {
  registerDemo(program);
  registerRun(program);
  registerWorker(program);
  registerServer(program);
  registerList(program);
  registerStatus(program);
  registerControl(program);
  registerInspect(program);
  registerGc(program);
  registerModel(program);
  registerSchedule(program);
}
