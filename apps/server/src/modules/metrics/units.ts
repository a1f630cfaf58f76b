export interface Unit {
  readonly name: string;
  readonly symbol: string;
}

/** Units offered by the dashboard; anything else can be given as a custom {name, symbol}. */
export const PRESET_UNITS: Readonly<Record<string, Unit>> = {
  usd: { name: 'US dollar', symbol: '$' },
  eur: { name: 'Euro', symbol: '€' },
  gbp: { name: 'Pound sterling', symbol: '£' },
  jpy: { name: 'Yen', symbol: '¥' },
  percent: { name: 'Percent', symbol: '%' },
  milliseconds: { name: 'Milliseconds', symbol: 'ms' },
  seconds: { name: 'Seconds', symbol: 's' },
  minutes: { name: 'Minutes', symbol: 'min' },
  hours: { name: 'Hours', symbol: 'h' },
  bytes: { name: 'Bytes', symbol: 'B' },
  kilobytes: { name: 'Kilobytes', symbol: 'KB' },
  megabytes: { name: 'Megabytes', symbol: 'MB' },
  gigabytes: { name: 'Gigabytes', symbol: 'GB' },
  requests: { name: 'Requests', symbol: 'req' },
  users: { name: 'Users', symbol: 'users' },
  events: { name: 'Events', symbol: 'events' },
};
