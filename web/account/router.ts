/**
 * The portal's pages, addressed by the URL fragment (`/account/#/vehicles`). Links sent by e-mail put
 * their token in the fragment, which the browser never sends to the server, so tokens stay out of
 * server logs and referrers.
 */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'login' }
  | { page: 'signup' }
  | { page: 'verify-email'; token: string }
  | { page: 'recover'; token: string | null }
  | { page: 'invitation'; code: string }
  | { page: 'vehicles' }
  | { page: 'subscription'; vin: string }
  | { page: 'vehicle-keys'; vin: string }
  | { page: 'my-keys' }
  | { page: 'cards' }
  | { page: 'profile' }
  | { page: 'notifications' };

/** Pages anyone may open; every other page needs a session and shows the login first. */
export const PUBLIC_PAGES: ReadonlySet<Route['page']> = new Set(['login', 'signup', 'verify-email', 'recover', 'invitation']);

const VIN = /^[A-HJ-NPR-Z0-9]{17}$/;
const TOKEN = /^[A-Za-z0-9_-]{16,512}$/;

export function parseRoute(hash: string): Route | null {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const [head, arg, tail] = parts;
  switch (head) {
    case undefined:
      return { page: 'vehicles' };
    case 'login':
    case 'signup':
    case 'cards':
    case 'profile':
    case 'notifications':
      return parts.length === 1 ? { page: head } : null;
    case 'keys':
      return parts.length === 1 ? { page: 'my-keys' } : null;
    case 'verify-email':
      return arg && TOKEN.test(arg) ? { page: 'verify-email', token: arg } : null;
    case 'recover':
      if (!arg) return { page: 'recover', token: null };
      return TOKEN.test(arg) ? { page: 'recover', token: arg } : null;
    case 'invitation':
      return arg && TOKEN.test(arg) ? { page: 'invitation', code: arg } : null;
    case 'vehicles':
      if (!arg) return { page: 'vehicles' };
      if (!VIN.test(arg)) return null;
      if (tail === 'subscription') return { page: 'subscription', vin: arg };
      if (tail === 'keys') return { page: 'vehicle-keys', vin: arg };
      return null;
    default:
      return null;
  }
}

export function hrefOf(route: Route): string {
  switch (route.page) {
    case 'verify-email':
      return `#/verify-email/${route.token}`;
    case 'recover':
      return route.token ? `#/recover/${route.token}` : '#/recover';
    case 'invitation':
      return `#/invitation/${route.code}`;
    case 'subscription':
      return `#/vehicles/${route.vin}/subscription`;
    case 'vehicle-keys':
      return `#/vehicles/${route.vin}/keys`;
    case 'my-keys':
      return '#/keys';
    default:
      return `#/${route.page}`;
  }
}

export function navigate(route: Route): void {
  location.hash = hrefOf(route);
}

/** The route of the current fragment; `null` for an address that is no page. */
export function useRoute(): Route | null {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

let afterLogin: Route | null = null;

/** Where to go once the user has logged in or signed up (e.g. back to an invitation). */
export function rememberAfterLogin(route: Route | null): void {
  afterLogin = route;
}

/** Go where {@link rememberAfterLogin} said, or to the vehicles. */
export function continueAfterLogin(): void {
  const target = afterLogin ?? { page: 'vehicles' };
  afterLogin = null;
  navigate(target);
}
