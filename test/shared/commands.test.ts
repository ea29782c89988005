/** Commands and permission sets: a shared key gets a non-empty, duplicate-free subset. */
import { describe, expect, it } from 'vitest';
import { COMMANDS, isCommand, permsSchema } from '../../shared/commands.js';

describe('commands', () => {
  it('are unlock, lock, start, trunk', () => {
    expect(COMMANDS).toEqual(['unlock', 'lock', 'start', 'trunk']);
  });

  it.each([['unlock', true], ['trunk', true], ['UNLOCK', false], ['open', false], ['constructor', false], ['', false], [0, false]])(
    'isCommand(%j) is %s',
    (value, expected) => {
      expect(isCommand(value)).toBe(expected);
    },
  );

  it.each([[['lock']], [['unlock', 'lock']], [['unlock', 'lock', 'start', 'trunk']]])('perms %j are accepted', (perms) => {
    expect(permsSchema.safeParse(perms).success).toBe(true);
  });

  it.each([[[]], [['lock', 'lock']], [['fly']], [['unlock', 'lock', 'start', 'trunk', 'unlock']], ['lock']])('perms %j are refused', (perms) => {
    expect(permsSchema.safeParse(perms).success).toBe(false);
  });
});
