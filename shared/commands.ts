/** The commands a key can allow, and so a phone can send to the car. */
import { z } from 'zod';

export const COMMANDS = ['unlock', 'lock', 'start', 'trunk'] as const;
export type Command = (typeof COMMANDS)[number];
export const commandSchema = z.enum(COMMANDS);
/** A non-empty, duplicate-free subset of the commands. */
export const permsSchema = z
  .array(commandSchema)
  .min(1)
  .max(COMMANDS.length)
  .refine((p) => new Set(p).size === p.length, 'perms must not repeat a command');

export function isCommand(value: unknown): value is Command {
  return COMMANDS.some((command) => command === value);
}
