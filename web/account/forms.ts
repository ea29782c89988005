/** Small input helpers the portal's forms share. */

/** A plausible e-mail address (the server checks it properly). */
export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** A VIN as typed or pasted: spaces and dashes removed, upper-cased, then checked. */
export function normalizeVin(value: string): string {
  return value.replace(/[\s-]+/g, '').toUpperCase();
}
export const VIN = /^[A-HJ-NPR-Z0-9]{17}$/;

/** A first guess for this device's passkey label, from the browser ("Chrome on Linux"). */
export function deviceLabelGuess(): string {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrome\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : 'Browser';
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS' : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : '';
  return os ? `${browser} · ${os}` : browser;
}
