/** A subscription plan in words ("Yearly plan", "3-jarige formule"), for every front end. */
import type { Plan } from '../apiTypes';
import type { I18n } from './i18n';

export function planName(i18n: I18n, plan: Plan, years?: number | null): string {
  return plan === 'multi-year' ? i18n.t('plan.multiYearN', { years: years ?? 2 }) : i18n.t(`plan.${plan}`);
}
