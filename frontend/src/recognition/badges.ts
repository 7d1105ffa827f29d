// Badge criteria in words, and progress toward a badge as text — for the badges page.

import { formatNumber } from '../ui/format';

export const CRITERIA: readonly { id: string; label: string; unit: string; units: string }[] = [
  { id: 'shares', label: 'Shares created', unit: 'share', units: 'shares' },
  { id: 'weekly_streak', label: 'Weeks in a row with a share', unit: 'week in a row', units: 'weeks in a row' },
  { id: 'human_clicks', label: 'Human clicks on your shares', unit: 'human click', units: 'human clicks' },
  { id: 'thanks_given', label: 'Thanks given', unit: 'thanks given', units: 'thanks given' },
  { id: 'thanks_received', label: 'Thanks received', unit: 'thanks received', units: 'thanks received' },
  { id: 'networks_linked', label: 'Networks linked', unit: 'network linked', units: 'networks linked' },
];

export function criterionLabel(id: string): string {
  return CRITERIA.find((c) => c.id === id)?.label ?? id;
}

/** "3 of 5 shares" (the count never shown above the target). */
export function progressText(criterion: string, progress: number, target: number): string {
  const c = CRITERIA.find((x) => x.id === criterion);
  const units = target === 1 ? (c?.unit ?? 'unit') : (c?.units ?? 'units');
  return `${formatNumber(Math.min(progress, target))} of ${formatNumber(target)} ${units}`;
}

/** Progress as a ratio 0…1 (0 for a zero target). */
export function progressRatio(progress: number, target: number): number {
  return target > 0 ? Math.max(0, Math.min(1, progress / target)) : 0;
}
