/** GATT service and characteristics of the vehicle (DESIGN.md §3). */
export const SERVICE_UUID = '0000d1c0-5344-4b31-8000-00000000a0a0';
export const CHALLENGE_CHAR_UUID = '0000d1c1-5344-4b31-8000-00000000a0a0';
export const REQUEST_CHAR_UUID = '0000d1c2-5344-4b31-8000-00000000a0a0';
export const RESPONSE_CHAR_UUID = '0000d1c3-5344-4b31-8000-00000000a0a0';

/** noble reports UUIDs lower-case without dashes. */
export function nobleUuid(uuid: string): string {
  return uuid.replaceAll('-', '').toLowerCase();
}
