/** The vehicle's actuators and what each command does to them. */
import type { Command } from '../../shared/commands.js';

/** The car's actuators as the protocol reports them. */
export interface Actuators {
  locked: boolean;
  engine: boolean;
}

/** The actuator state after a command (`trunk` pops the trunk and changes neither). */
export function actuate(actuators: Actuators, cmd: Command): Actuators {
  switch (cmd) {
    case 'unlock':
      return { ...actuators, locked: false };
    case 'lock':
      return { ...actuators, locked: true };
    case 'start':
      return { ...actuators, engine: true };
    case 'trunk':
      return { ...actuators };
  }
}
