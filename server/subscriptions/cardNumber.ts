/**
 * Card numbers at the boundary: the Luhn check and the brand, before a number is tokenized. Only
 * Visa and Mastercard are accepted (the terms: "Visa- en Mastercard-kaarten worden doorgaans
 * aanvaard"). A number is never stored or logged: it goes to the gateway's `tokenizeCard` and the
 * system keeps the token, the brand and the last four digits.
 */

export type CardBrand = 'visa' | 'mastercard';

/** Digits only: spaces and dashes as people type them are dropped. */
export function normalizeCardNumber(input: string): string {
  return input.replace(/[\s-]/g, '');
}

/** The Luhn (mod 10) check digit test. */
export function passesLuhn(digits: string): boolean {
  if (!/^\d{12,19}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Visa (4…, 13/16/19 digits) or Mastercard (51–55, 2221–2720; 16 digits); null otherwise. */
export function cardBrand(digits: string): CardBrand | null {
  if (/^4(\d{12}|\d{15}|\d{18})$/.test(digits)) return 'visa';
  if (/^\d{16}$/.test(digits)) {
    const two = Number(digits.slice(0, 2));
    const four = Number(digits.slice(0, 4));
    if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) return 'mastercard';
  }
  return null;
}
